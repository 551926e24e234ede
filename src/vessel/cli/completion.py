"""Shell completion: Typer's (`vessel --install-completion`, `vessel --show-completion bash|zsh|fish`),
plus application names for the NAME argument of the commands that take one.

Completing runs on every Tab press, so it must be quick and must never fail: names come from the store
only if one already exists (a Tab press never creates one), and any trouble completes nothing.
"""

from __future__ import annotations

import contextlib


def complete_application(incomplete: str) -> list[str]:
    with contextlib.suppress(Exception):  # a Tab press must never print a traceback
        # imported here: every command that takes a NAME declares this, and only a Tab press reads the store
        from vessel.controller.views import application_names

        return application_names(incomplete)
    return []

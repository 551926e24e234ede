"""Every JSON answer of the API passes through `redaction.redact_data` on its way out — documents,
lists and problem details alike — as everything the CLI prints does (`cli/output.show`): a secret value
this process knows never leaves in an answer, whatever field quotes it (DESIGN.md: secrets are never
returned)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from vessel.model.redaction import redact_data


class RedactedJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return super().render(redact_data(content))

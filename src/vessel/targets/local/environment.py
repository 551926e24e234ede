"""The environment of every process the local target starts — replicas, task and cron runs, exec probes,
balancers: what its component declares, over a small base; never the whole environment of the `vessel`
command that happens to start it.

That environment is the operator's: VESSEL_DATABASE_URL with the store's password, cloud credentials
(AWS_SECRET_ACCESS_KEY, GOOGLE_APPLICATION_CREDENTIALS…), tokens, proxies with passwords in them. A
process inheriting it would hold all of it; and what it got would depend on which shell happened to run
`vessel up` or `vessel run` (a crashed replica restarted by a server would get another environment than
the one first started from a terminal). A container gets only its image's and its spec's variables; a
local process gets the same idea:

    PATH            as `vessel` has it (or the system default), so `cmd: [python3, …]` is found
    HOME, USER, LOGNAME
                    who it runs as: programs look up their config and cache directories by them
    LANG, LANGUAGE, LC_*, TZ
                    how text and time are read and written (a replica decoding UTF-8 should not depend
                    on nothing being set)
    TMPDIR          where temporary files go, when the machine says so

and from Vessel: PORT (a replica's port), VESSEL_SOURCE_DIR (the Application file's directory, when
known), VESSEL_PYTHON and VESSEL_HOME (the interpreter Vessel runs on and its home: paths, not secrets;
what built-in components like the `postgresql` addon's server run with) and VESSEL_LAUNCH (the launch
token, see `orphans`). Anything else — a proxy, a CA bundle, a
credential — is declared by the component (`env`, the `env` trait), where it is visible and reviewed.
"""

from __future__ import annotations

import os

PASSED = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR")
PASSED_PREFIXES = ("LC_",)


def base() -> dict[str, str]:
    """The base every local process starts from (see the module docstring)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in PASSED or name.startswith(PASSED_PREFIXES)
    }
    env.setdefault("PATH", os.defpath)
    return env

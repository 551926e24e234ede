"""The readiness probe of the shared Redis instance: exit 0 once it answers PING as the admin, else 1
with the reason on stderr."""

from __future__ import annotations

import sys

from vessel.errors import VesselError
from vessel.targets.local.redis.instance import instance


def main() -> int:
    try:
        with instance().admin() as conn:
            answer = conn.call("PING")
    except (OSError, VesselError) as exc:
        print(f"redis is not answering: {exc}", file=sys.stderr)
        return 1
    if answer != "PONG":
        print(f"redis answered PING with {answer!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

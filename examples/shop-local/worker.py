"""The shop's worker: takes order ids from the Redis queue the web app fills and marks each order done
in PostgreSQL. A job whose order is not there yet is an error said on stderr, not silently dropped."""

from __future__ import annotations

import signal
import sys

from shop import JOBS, Redis, database


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    conn, queue = database(), Redis(timeout=30.0)
    print("shop worker: waiting for jobs", flush=True)
    while True:
        job = queue.call("BLPOP", JOBS, 5)  # [key, id], or None after 5 s without a job
        if not isinstance(job, list):
            continue
        done = conn.execute("UPDATE orders SET status = 'done' WHERE id = %s", (int(job[1]),)).rowcount
        print(
            f"order {job[1]}: {'done' if done else 'not found'}",
            file=sys.stdout if done else sys.stderr,
            flush=True,
        )


if __name__ == "__main__":
    main()

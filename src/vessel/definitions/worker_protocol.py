"""What a template worker and its parent say to each other over a pair of pipes.

Each message is a frame: four bytes of big-endian length, then the body. The parent sends a `Job`
pickled (it is the trusted side, and pickle keeps the frozen mappings and tuples of the model as they
are). The worker answers with a `Reply` as JSON: the worker runs what definitions supply, so what comes
back is parsed as plain data only — a worker subverted by a template could not make its parent execute
anything by answering.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from vessel.definitions.limits import RenderLimits

HEADER = 4


@dataclass(frozen=True)
class Job:
    """Render `source` (named `name`, for line numbers) with `variables` under `limits`."""

    name: str
    source: str
    variables: Mapping[str, Any]
    limits: RenderLimits
    mark: str  # the parent's slot marker (slots.py)


# Reply.failure values
REFUSED = "refused"  # fail("...") in the template
OVER_CAP = "cap"  # a cap was hit; the message names it
UNDEFINED = "undefined"
SYNTAX = "syntax"
ERROR = "error"


@dataclass(frozen=True)
class Reply:
    text: str = ""
    values: list[Any] = field(default_factory=list)
    failure: str = ""  # "" when the render succeeded
    message: str = ""
    line: int | None = None  # the template line the failure came from
    cpu: float = 0.0  # the worker's CPU seconds so far
    leaving: bool = False  # the worker exits after this reply (it breached a cap)


_REPLY_FIELDS = tuple(f.name for f in fields(Reply))


class Lost(Exception):
    """The other side went away, or stopped answering before `deadline`."""

    def __init__(self, timed_out: bool):
        super().__init__("timed out" if timed_out else "closed")
        self.timed_out = timed_out


def write_frame(fd: int, body: bytes) -> None:
    view = memoryview(len(body).to_bytes(HEADER, "big") + body)
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd: int, limit: int, deadline: float | None = None) -> bytes:
    """One frame's body; Lost on end of file, a timeout, or a frame larger than `limit` bytes."""
    size = int.from_bytes(_read_exact(fd, HEADER, deadline), "big")
    if size > limit:
        raise Lost(timed_out=False)
    return _read_exact(fd, size, deadline)


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise Lost(timed_out=True)
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise Lost(timed_out=False)
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def encode_job(job: Job) -> bytes:
    return pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)


def decode_job(body: bytes) -> Job:
    job = pickle.loads(body)
    if not isinstance(job, Job):
        raise TypeError(f"expected a Job, got {type(job).__name__}")
    return job


def encode_reply(reply: Reply) -> bytes:
    fields = {name: getattr(reply, name) for name in _REPLY_FIELDS}  # not asdict(): it deep-copies
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def decode_reply(body: bytes) -> Reply:
    data = json.loads(body)
    line = data.get("line")
    return Reply(
        text=str(data.get("text", "")),
        values=list(data.get("values", [])),
        failure=str(data.get("failure", "")),
        message=str(data.get("message", "")),
        line=line if isinstance(line, int) else None,
        cpu=float(data.get("cpu", 0.0)),
        leaving=bool(data.get("leaving", False)),
    )


def reply_limit(limits: RenderLimits) -> int:
    """The largest reply a render under `limits` can produce (JSON may escape a character as 6)."""
    return 6 * limits.output_bytes + 16 * limits.values + 65536

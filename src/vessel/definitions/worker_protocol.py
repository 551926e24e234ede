"""What a template worker and its parent say to each other over a pair of pipes.

Each message is a frame: four bytes of big-endian length, then the body; one job, then one reply.
Both directions use `marshal` (plain data only, several times faster than pickle or JSON, and the
per-render cost of a worker is mostly this), falling back to pickle for a job whose variables hold
types marshal refuses (frozen mappings of the model).

Trust: the parent is the trusted side. A reply is only ever marshalled plain data and is validated
again when the parent fills the skeleton (`slots.as_data` refuses anything that is not data). A
stronger boundary would need the worker to run as another user: a template that escaped the Jinja
sandbox runs as the same user as its parent, and could harm it by other means than its reply.
"""

from __future__ import annotations

import functools
import marshal
import os
import pickle
import select
import time
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field
from typing import Any

from vessel.definitions.limits import RenderLimits

HEADER = 4
CHUNK = 1 << 16


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
    data = _read_some(fd, deadline)
    while len(data) < HEADER:
        data += _read_some(fd, deadline)
    size = int.from_bytes(data[:HEADER], "big")
    if size > limit:
        raise Lost(timed_out=False)
    chunks, have = [data[HEADER:]], len(data) - HEADER
    while have < size:
        chunk = _read_some(fd, deadline, min(size - have, CHUNK))
        chunks.append(chunk)
        have += len(chunk)
    if have > size:  # more than one frame: only ever one answer per question
        raise Lost(timed_out=False)
    return b"".join(chunks)


def _read_some(fd: int, deadline: float | None, most: int = CHUNK) -> bytes:
    if deadline is not None:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            raise Lost(timed_out=True)
    chunk = os.read(fd, most)
    if not chunk:
        raise Lost(timed_out=False)
    return chunk


@functools.lru_cache(maxsize=64)
def _limits_tuple(limits: RenderLimits) -> tuple[Any, ...]:
    return astuple(limits)


@functools.lru_cache(maxsize=64)
def _limits(values: tuple[Any, ...]) -> RenderLimits:
    return RenderLimits(*values)


def encode_job(job: Job) -> bytes:
    fields: Any = (job.name, job.source, job.variables, _limits_tuple(job.limits), job.mark)
    try:
        return b"m" + marshal.dumps(fields)
    except ValueError:  # a type marshal does not know (a frozen mapping): pickle keeps it as it is
        return b"p" + pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL)


def decode_job(body: bytes) -> Job:
    fields = marshal.loads(body[1:]) if body[:1] == b"m" else pickle.loads(body[1:])
    name, source, variables, limits, mark = fields
    return Job(name, source, variables, _limits(tuple(limits)), mark)


def encode_reply(reply: Reply) -> bytes:
    return marshal.dumps(
        (reply.text, reply.values, reply.failure, reply.message, reply.line, reply.cpu, reply.leaving)
    )


def decode_reply(body: bytes) -> Reply:
    """A reply, checked for shape (ValueError if it is not one)."""
    fields = marshal.loads(body)
    if not (isinstance(fields, tuple) and len(fields) == 7):
        raise ValueError("not a reply")
    text, values, failure, message, line, cpu, leaving = fields
    if not (isinstance(text, str) and isinstance(values, list) and isinstance(failure, str)):
        raise ValueError("not a reply")
    return Reply(
        text,
        values,
        failure,
        str(message),
        line if isinstance(line, int) else None,
        float(cpu),
        bool(leaving),
    )


def reply_limit(limits: RenderLimits) -> int:
    """The largest reply a render under `limits` can produce: its text and values in UTF-8 (at most 4
    bytes a character), and a marshal tag and length for each value."""
    return 4 * limits.output_bytes + 16 * limits.values + CHUNK

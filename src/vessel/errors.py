"""Every error Vessel raises on purpose, in one tree.

An error says *what* went wrong, *where* (file, line, field path, definition or component name) and,
when it can, *what to do*. Whether an error is worth retrying is decided where it arises, by its class:

    VesselError                      base; ``str(err)`` is the full user-facing message
    ├── InputError                   the user's input is wrong; retrying cannot help (terminal)
    │   ├── ParseError               YAML syntax, duplicate keys, alias bombs, size caps
    │   ├── ValidationError          a field has the wrong type/value, is unknown or missing
    │   └── UnknownTypeError         a component/trait/policy/step type no definition provides
    ├── DefinitionError              a definition is malformed (bad schema, template syntax)
    ├── RenderError                  a template failed, timed out, grew too large, or produced bad data
    │   ├── RenderRefusedError       the template refused on purpose (`fail("...")` in a definition)
    │   ├── OverCapError             a template or expression went over a cap (CPU time, memory, size);
    │   │                            the message names the definition or step and the cap
    │   ├── TraitNotApplicableError  a trait's appliesToWorkloads excludes the component
    │   └── ChartError               a Helm chart cannot be used: not found, no version matches, values
    │                                fail its values.schema.json, a template fails, the helm extra is
    │                                missing (the message names the property and what to do)
    ├── NotFoundError                an application, revision, run or target that does not exist
    ├── ConflictError                an operation that contradicts state (resume a terminated run,
    │   │                            two applications owning one resource)
    │   └── StaleVersionError        a change made against a version of an application that is no
    │                                longer its latest (the API's If-Match; HTTP 412)
    ├── TargetRejectedError          a target refused an object as invalid (terminal: fix the input);
    │                                it wrote nothing, so delivery releases the object's claim
    ├── AccessError                  a Vessel server refused the caller (remote CLI): a missing, bad,
    │   │                            expired or revoked token (401), too many bad tokens (429)
    │   └── ForbiddenError           a role too weak for what was asked (403), the server's message
    ├── ServerUnreachableError       the configured Vessel server did not answer (refused, no answer in
    │                                time, TLS): nothing was asked of it (CLI exit 2, as a store)
    ├── StoreUnavailableError        the store cannot be opened: VESSEL_HOME unusable, a corrupt
    │   │                            database, PostgreSQL unreachable, a malformed URL (CLI exit 2)
    │   └── StoreOutageError         the store stopped working mid-command for a reason that passes
    │                                (connection lost, no answer in time, disk full, locked): not a
    │                                step's failure; commands that drive work wait and retry
    └── TransientError               I/O that may work later: retried with backoff (terminal = False)
        ├── TargetUnavailableError   a target could not be reached, or answered 5xx / conflict
        ├── ComponentFailingError    a delivered workload crash-loops or cannot start: retried a few
        │                            times only (`give_up_after`), then the step fails with the cause
        ├── ChartRepositoryUnavailableError  a Helm chart repository could not be reached or did not
        │                            answer in time: retried a few times, then the step fails
        └── TemplateWorkerError      a template worker could not start, died, or was stuck (not a cap:
                                     the machine may be out of memory or overloaded)

Only TransientError and its subclasses are retried.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where something is: a file, a line (1-based, when known) and a field path."""

    file: str | None = None
    line: int | None = None
    path: str = ""

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        if self.path:
            parts.append(self.path)
        return ": ".join(parts)


Where = Location | Callable[[], Location]
"""A location, or a function that finds it: hot paths pass the function so that working out file and
line costs nothing unless an error is actually raised."""


class VesselError(Exception):
    """Base of every deliberate Vessel error."""

    terminal = True

    def __init__(self, message: str, location: Where | None = None, hint: str | None = None):
        self.message = message
        self.location = (location() if callable(location) else location) or Location()
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text


class InputError(VesselError):
    """The user's input is wrong."""


class ParseError(InputError):
    """The input is not acceptable YAML (syntax, duplicate key, alias bomb, too large)."""


class ValidationError(InputError):
    """A field is of the wrong type or value, unknown, or missing."""


class MultipleErrors(InputError):
    """Several validation errors found in one pass, reported together."""

    def __init__(self, errors: Sequence[VesselError]):
        self.errors = tuple(errors)
        super().__init__("\n".join(e.render() for e in self.errors))

    def render(self) -> str:
        return "\n".join(e.render() for e in getattr(self, "errors", ()))


class UnknownTypeError(InputError):
    """A type name that no loaded definition provides."""


class DefinitionError(VesselError):
    """A definition itself is malformed."""


class RenderError(VesselError):
    """Rendering a template failed."""


class RenderRefusedError(RenderError):
    """A definition's template refused these inputs on purpose, with its own message."""


class OverCapError(RenderError):
    """A template or expression went over one of its caps (RenderLimits); retrying cannot help."""


class TraitNotApplicableError(RenderError):
    """A trait was attached to a workload its definition does not apply to."""


class ChartError(RenderError):
    """A Helm chart cannot be fetched from what the repository answered, or cannot be rendered with the
    given values (helmchart components, `vessel.helm`)."""


class NotFoundError(VesselError):
    """Something named does not exist."""


class ConflictError(VesselError):
    """The request contradicts the current state."""


class StaleVersionError(ConflictError):
    """The caller's version of an application is not its latest any more: read it again, then decide."""


class TargetRejectedError(VesselError):
    """A target refused an object as invalid. A target raises it only when it wrote nothing of the object
    (or undid what it had made), so the inventory can forget the claim it recorded before applying."""


class AccessError(VesselError):
    """A Vessel server refused the caller's token (the CLI in remote mode): log in again."""


class ForbiddenError(AccessError):
    """A Vessel server refused what the caller asked: their role does not allow it."""


class ServerUnreachableError(VesselError):
    """The Vessel server the CLI is configured for cannot be reached or did not answer in time. Like
    StoreUnavailableError it is a matter of setup, not of the input: the command line exits 2."""


class StoreUnavailableError(VesselError):
    """The store cannot be opened or reached; nothing was read or changed. The command line exits 2
    for it (1 is for errors in what the user asked), so scripts can tell "fix the setup" apart."""


class StoreOutageError(StoreUnavailableError):
    """The store failed mid-command in a way that passes: the connection was lost, the server did not
    answer within the statement timeout, the disk is full, the database stayed locked. Transient, but not
    a step's or an application's failure: commands that drive work (`vessel run`, `vessel up`) wait with
    backoff and do their pass again (controller/outage.py); the others exit 2 with it. `committing` says
    the failure came while committing, so whether that transaction's writes were saved is unknown."""

    terminal = False

    def __init__(self, message: str, hint: str | None = None, committing: bool = False):
        super().__init__(message, hint=hint)
        self.committing = committing


class TransientError(VesselError):
    """An I/O failure that may succeed later; `retry_after` is how long the other side asked to be left
    alone (an HTTP Retry-After), if it said; `give_up_after` how many consecutive failures like this one
    are worth waiting through (None: the engine's default)."""

    terminal = False

    def __init__(
        self,
        message: str,
        location: Where | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
        give_up_after: int | None = None,
    ):
        super().__init__(message, location, hint)
        self.retry_after = retry_after
        self.give_up_after = give_up_after


class TargetUnavailableError(TransientError):
    """A target could not be reached or failed temporarily."""


class ComponentFailingError(TransientError):
    """A delivered component's workload is failing (crash loop, cannot start, image pull), not merely
    starting. It may still recover — a dependency comes up, an image is pushed — so it is retried, but
    fewer times than an unreachable target: a crash loop rarely heals by itself."""


class ChartRepositoryUnavailableError(TransientError):
    """A Helm chart repository could not be reached, or did not answer within the time allowed."""


class TemplateWorkerError(TransientError):
    """A template worker process could not be started, died unexpectedly, or stopped answering."""


@contextmanager
def collecting(problems: list[VesselError]) -> Iterator[None]:
    """Add any VesselError raised inside the block to `problems` instead of stopping, so one pass can
    report every mistake in a file."""
    try:
        yield
    except MultipleErrors as exc:
        problems.extend(exc.errors)
    except VesselError as exc:
        problems.append(exc)


def raise_collected(problems: Sequence[VesselError]) -> None:
    """Raise nothing, the single problem, or all of them as MultipleErrors."""
    if problems:
        raise combined(problems)


def combined(problems: Sequence[VesselError]) -> VesselError:
    """One error for one or more problems: the problem itself, or MultipleErrors."""
    return problems[0] if len(problems) == 1 else MultipleErrors(problems)

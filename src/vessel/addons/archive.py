"""Unpacking an addon archive (`.tar.gz`) without trusting it.

An archive from a registry is hostile until proven otherwise. Only regular files and directories are
unpacked; a member with an absolute path or a `..` part, a symbolic or hard link, a device or a FIFO
is refused, naming the member. The number of files and the bytes they hold are capped — counted as
they are written, not as the headers claim, so a decompression bomb stops at the cap. Everything is
unpacked into a fresh directory that only becomes the result once it is complete.
"""

from __future__ import annotations

import io
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from vessel.errors import ValidationError

MAX_FILES = 256
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
_CHUNK = 64 * 1024


def unpack(data: bytes, into: Path, origin: str) -> Path:
    """Unpack the gzipped tar `data` into the new directory `into`; the addon's root inside it (the single
    top-level folder, if the archive has one) is returned."""
    into.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=into.parent, prefix=".unpacking-"))
    try:
        _extract(data, staging, origin)
        staging.rename(into)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not into.is_dir():  # not another process that unpacked the same archive first
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return addon_root(into)


def addon_root(folder: Path) -> Path:
    """The folder's single top-level directory if it has exactly one entry that is one, else itself."""
    entries = list(folder.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else folder


def _extract(data: bytes, root: Path, origin: str) -> None:
    files, written = 0, 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive:
                target = root.joinpath(*_safe_parts(member, origin))
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                files += 1
                if files > MAX_FILES:
                    raise ValidationError(f"archive holds more than {MAX_FILES} files", hint=origin)
                written = _write(archive, member, target, written, origin)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ValidationError(f"not a readable .tar.gz archive: {exc}", hint=origin) from None


def _safe_parts(member: tarfile.TarInfo, origin: str) -> tuple[str, ...]:
    name = member.name
    if not (member.isfile() or member.isdir()):
        what = "a link" if member.issym() or member.islnk() else "not a regular file"
        raise ValidationError(f"archive member {name!r} is {what}: refused", hint=origin)
    path = PurePosixPath(name)
    parts = tuple(p for p in path.parts if p not in ("", "."))
    if path.is_absolute() or ".." in parts or not parts or "\\" in name:
        raise ValidationError(f"archive member {name!r} points outside the archive: refused", hint=origin)
    return parts


def _write(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path, written: int, origin: str) -> int:
    source = archive.extractfile(member)
    if source is None:
        raise ValidationError(f"archive member {member.name!r} cannot be read", hint=origin)
    target.parent.mkdir(parents=True, exist_ok=True)
    with source, open(target, "xb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > MAX_UNPACKED_BYTES:
                raise ValidationError(
                    f"archive unpacks to more than {MAX_UNPACKED_BYTES} bytes: refused", hint=origin
                )
            out.write(chunk)
    target.chmod(0o644)
    return written

"""Git registries: a repository of addon directories at one pinned commit, read with the `git` command.

`vessel addon registry add team --git URL --ref REF` fetches the repository, resolves REF (a tag, a
branch or a commit) to a commit, and records that commit: the registry offers what the repository held
at it, whatever the branch or tag does later (add the registry again to move it). The commit's tree is
then written out as plain files — a directory registry (`addons/catalog.py`) reads it from there.

The repository is not trusted any more than an HTTP archive is. Only the `git`, `file`, `http(s)` and
`ssh` transports are allowed (no `ext::` helper commands), git never asks for a password (a private
repository needs credentials git already has), every git command has a time limit, and the fetched
repository is size-capped. Writing the tree out takes only regular files: a symbolic link or a submodule
is refused, naming it, as is a path that leaves the tree; the number of files and their bytes are capped.
The tree is written into a fresh directory that becomes the cache entry (`VESSEL_HOME/addons/git/KEY/
COMMIT`) only once complete, so a copy cut off half-way is never read. A process on another machine that
shares the store fetches the same commit into its own cache on first use.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from vessel.errors import NotFoundError, ValidationError
from vessel.home import private_directory, vessel_home

TIMEOUT_SECONDS = 60.0
MAX_REPOSITORY_BYTES = 64 * 1024 * 1024  # the fetched objects
MAX_FILES = 4096  # files in the commit's tree
MAX_TREE_BYTES = 32 * 1024 * 1024  # their bytes
ALLOWED_PROTOCOLS = ("file", "git", "http", "https", "ssh")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_SEP = "#"  # a git registry's location is URL#COMMIT


def location(url: str, commit: str) -> str:
    return f"{url}{_SEP}{commit}"


def split_location(text: str) -> tuple[str, str]:
    url, _, commit = text.rpartition(_SEP)
    if not url or not _COMMIT.match(commit):
        raise ValidationError(f"git registry location {text!r} is not URL#COMMIT")
    return url, commit


def resolve(url: str, ref: str) -> str:
    """The commit `ref` names in the repository at `url` (fetched into the cache on the way)."""
    _check_url(url)
    if not ref or ref.startswith("-"):
        raise ValidationError(f"--ref {ref!r} is not a tag, branch or commit", hint="e.g. --ref v1.2.0")
    repo = _fetched(url)
    found = _git(
        repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False
    )
    if found.returncode != 0:
        raise NotFoundError(
            f"git registry {url}: no tag, branch or commit {ref!r}",
            hint="name a tag, a branch or a full commit of that repository",
        )
    return str(found.stdout).strip()


def checkout(url: str, commit: str) -> Path:
    """The tree of `commit` as plain files (cached: a commit never changes)."""
    cache = _cache(url) / commit
    if cache.is_dir():
        return cache
    repo = _fetched(url)
    if _git(repo, "cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode != 0:
        raise NotFoundError(f"git registry {url}: commit {commit} is no longer in the repository")
    staging = Path(tempfile.mkdtemp(dir=cache.parent, prefix=".writing-"))
    try:
        _write_tree(repo, commit, staging, url)
        staging.rename(cache)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not cache.is_dir():  # not another process that wrote the same commit first
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return cache


def _check_url(url: str) -> None:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if url.startswith("-") or "::" in url.split("/", 1)[0] or (scheme and scheme not in ALLOWED_PROTOCOLS):
        raise ValidationError(
            f"--git {url!r} is not a repository URL Vessel fetches",
            hint=f"use one of {', '.join(p + '://' for p in ALLOWED_PROTOCOLS)}, user@host:path or a path",
        )


def _cache(url: str) -> Path:
    folder = vessel_home() / "addons" / "git" / hashlib.sha256(url.encode()).hexdigest()[:32]
    private_directory(folder)
    return folder


def _fetched(url: str) -> Path:
    """A bare copy of the repository at `url`, fetched now (every branch and tag), size-checked."""
    repo = _cache(url) / "repository.git"
    if not (repo / "HEAD").is_file():
        shutil.rmtree(repo, ignore_errors=True)
        _git(None, "init", "--quiet", "--bare", str(repo))
    refspecs = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
    done = _git(
        repo, "fetch", "--quiet", "--prune", "--no-recurse-submodules", "--", url, *refspecs, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["git fetch failed"])[-1]
        raise NotFoundError(
            f"cannot fetch git registry {url}: {last}", hint="is the URL right, and reachable?"
        )
    size = sum(f.stat().st_size for f in (repo / "objects").rglob("*") if f.is_file())
    if size > MAX_REPOSITORY_BYTES:
        raise ValidationError(f"git registry {url} holds more than {MAX_REPOSITORY_BYTES} bytes: refused")
    return repo


def _write_tree(repo: Path, commit: str, into: Path, url: str) -> None:
    listing = _git(repo, "ls-tree", "-r", "-l", "-z", "--full-tree", commit).stdout
    entries = [e for e in listing.split("\0") if e]
    if len(entries) > MAX_FILES:
        raise ValidationError(
            f"git registry {url} at {commit[:12]} holds more than {MAX_FILES} files: refused"
        )
    written = 0
    for entry in entries:
        info, _, path = entry.partition("\t")
        mode, kind, obj, size = info.split()
        target = into.joinpath(*_safe_parts(path, mode, kind, url))
        written += int(size)
        if written > MAX_TREE_BYTES:
            raise ValidationError(
                f"git registry {url} at {commit[:12]} holds more than {MAX_TREE_BYTES} bytes"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        data = _git(repo, "cat-file", "blob", obj, text=False).stdout
        if len(data) != int(size):
            raise ValidationError(f"git registry {url}: {path} is not the size git lists")
        target.write_bytes(data)
        target.chmod(0o644)


def _safe_parts(path: str, mode: str, kind: str, url: str) -> tuple[str, ...]:
    if mode == "120000" or kind == "commit":
        what = "a symbolic link" if mode == "120000" else "a submodule"
        raise ValidationError(f"git registry {url}: {path!r} is {what}: refused")
    if kind != "blob":
        raise ValidationError(f"git registry {url}: {path!r} is not a regular file: refused")
    pure = PurePosixPath(path)
    parts = tuple(p for p in pure.parts if p not in ("", "."))
    if pure.is_absolute() or ".." in parts or not parts or "\\" in path:
        raise ValidationError(f"git registry {url}: {path!r} points outside the repository: refused")
    return parts


def _git(
    repo: Path | None, *args: str, check: bool = True, text: bool = True
) -> subprocess.CompletedProcess[Any]:
    protocols = [f"protocol.{p}.allow=always" for p in ALLOWED_PROTOCOLS]
    settings = (
        "protocol.allow=never",
        *protocols,
        "core.symlinks=false",
        "core.sshCommand=ssh -o BatchMode=yes",
    )
    config = [x for c in settings for x in ("-c", c)]
    where = ["--git-dir", str(repo)] if repo is not None else []
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_ASKPASS": "true",
        "SSH_ASKPASS": "true",
        "SSH_ASKPASS_REQUIRE": "never",
    }
    try:
        done = subprocess.run(
            ["git", *config, *where, *args],
            capture_output=True,
            text=text,
            env=env,
            timeout=TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise NotFoundError("git registries need the git command, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise NotFoundError(f"git {args[0]} took more than {TIMEOUT_SECONDS:.0f} s: stopped") from None
    if check and done.returncode != 0:
        stderr = done.stderr if isinstance(done.stderr, str) else done.stderr.decode("utf-8", "replace")
        raise ValidationError(f"git {args[0]} failed: {(stderr.strip().splitlines() or ['?'])[-1]}")
    return done

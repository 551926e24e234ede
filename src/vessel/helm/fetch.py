"""HTTP downloads held to one origin and one size: what the chart renderer uses to reach a repository.

The user named a repository; nothing else may be contacted on its behalf. An index can point a chart's
archive anywhere (absolute `urls`), and a server can redirect anywhere, so every URL — the index, each
archive, each redirect — must have the repository's scheme, host and port, or the download is refused with
a message that says where it was sent. Bodies are read up to a cap, and every connection attempt and read
waits at most `network_seconds`. Proxies from the environment (HTTPS_PROXY, NO_PROXY…) are honoured: they
are how this machine reaches the repository, not another destination.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.client import HTTPMessage
from typing import IO
from urllib.parse import urljoin, urlsplit

from vessel.helm.request import CHART, OVER_CAP, UNREACHABLE, ChartFailure

USER_AGENT = "vessel-helmchart"


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def within(base: str, reference: str) -> str:
    """`reference` resolved against `base`; ChartFailure if it leaves `base`'s origin."""
    resolved = urljoin(base, reference)
    if origin(resolved) != origin(base):
        raise ChartFailure(
            CHART,
            f"the repository points to {resolved}, outside the repository {base}: refused (Vessel only "
            "downloads from the repository you named)",
        )
    return resolved


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    def __init__(self, base: str):
        self.base = base

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        within(self.base, newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(url: str, base: str, most: int, seconds: float, what: str) -> bytes:
    """The body at `url` (which must share `base`'s origin), at most `most` bytes."""
    within(base, url)
    opener = urllib.request.build_opener(_SameOrigin(base))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=seconds) as answer:
            body: bytes = answer.read(most + 1)
    except urllib.error.HTTPError as exc:
        raise _http_failure(exc.code, url, what) from None
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ChartFailure(UNREACHABLE, f"cannot reach {url} ({what}): {_plain(reason, seconds)}") from None
    if len(body) > most:
        raise ChartFailure(OVER_CAP, f"{what} at {url} is larger than {most} bytes (the cap)")
    return body


def _http_failure(code: int, url: str, what: str) -> ChartFailure:
    if code >= 500 or code in (408, 429):
        return ChartFailure(UNREACHABLE, f"{url} ({what}) answered HTTP {code}")
    hint = _HINTS.get(code, "")
    return ChartFailure(CHART, f"{url} ({what}) answered HTTP {code}{hint}")


_HINTS: Mapping[int, str] = {
    404: ": is the repository URL right? (it should be the folder that holds index.yaml)",
    401: ": the repository needs credentials, which helmchart does not support yet",
    403: ": the repository refused access",
}


def _plain(reason: object, seconds: float) -> str:
    if isinstance(reason, socket.timeout | TimeoutError):
        return f"no answer within {seconds:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    return str(reason)

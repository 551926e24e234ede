"""Request bodies that carry Applications (apply, dry-run): YAML or JSON text, bounded in size.

A body is refused with 413 from its declared length before a byte of it is read, and cut while it
streams in (chunked, or lying about its length) as soon as it passes the limit; 415 for a media type
that is neither YAML nor JSON. JSON is read as YAML (it is a subset), so both go through the same
strict reader as a file and every problem names the line in the body.
"""

from __future__ import annotations

from fastapi import Request

from vessel.api.auth import ApiProblem, state_of
from vessel.errors import ValidationError

BODY = "request body"  # what stands for the file in the location of every problem found in a body
BODY_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "application/json", "text/plain")
APPLY_BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string"}} for t in ("application/yaml", "application/json")},
        "description": "Application (and the definitions, Policies and Workflows it uses), as YAML or JSON.",
    }
}


async def read_text_body(request: Request) -> str:
    """The body as text, refused past the size limit without reading more than the limit."""
    limit = state_of(request).settings.body_limit
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiProblem(413, f"the request body is larger than the {limit} byte limit")
    media = request.headers.get("content-type", "application/yaml").split(";")[0].strip().lower()
    if media not in BODY_TYPES:
        raise ApiProblem(415, f"send YAML or JSON ({', '.join(BODY_TYPES)}), not {media}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiProblem(413, f"the request body is larger than the {limit} byte limit")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"the body is not UTF-8 text (byte {exc.start})") from None

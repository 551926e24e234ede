"""Kubernetes `Status` errors."""

from __future__ import annotations

from typing import Any


class KubeError(Exception):
    """An API error, answered as a `Status` object with `code`, `reason`, `message` and `details`."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            out["details"] = self.details
        return out


def not_found(group_resource: str, name: str, group: str, plural: str) -> KubeError:
    details = {"name": name, "group": group, "kind": plural}
    return KubeError(404, "NotFound", f'{group_resource} "{name}" not found', details)

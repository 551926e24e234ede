"""The `local` target: applications run as processes on this machine (see `target`)."""

from vessel.targets.local.target import LocalTarget

__all__ = ["LocalTarget"]

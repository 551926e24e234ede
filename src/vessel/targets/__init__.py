"""The targets layer: places resources land. Every target implements `Target`; targets never import
each other (the factory in `factory.py` is the only module that knows them all)."""

from vessel.targets.protocol import ApplyResult, Target, TargetInfo, TargetStatus

__all__ = ["ApplyResult", "Target", "TargetInfo", "TargetStatus"]

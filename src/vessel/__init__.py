"""Vessel: an Open Application Model delivery engine."""

__version__ = "0.1.0"

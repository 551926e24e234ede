"""Fakes and helpers shipped with Vessel, for its own tests and for users testing their definitions."""

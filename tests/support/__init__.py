"""Helpers shared by the library tests and the Home Assistant tests (no pytest imports)."""

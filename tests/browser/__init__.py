"""Checks of rendered documents in a real browser (Debian's chromium, Playwright, axe-core)."""

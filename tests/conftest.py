"""Shared fixtures. Heavier fixtures live in tests/plugins/ (a real PostgreSQL server, the
third-party JavaScript verifiers)."""

pytest_plugins = ["tests.plugins.postgres", "tests.plugins.interop"]

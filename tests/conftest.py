"""Shared fixtures. Heavier fixtures live in tests/plugins/ (initialised issuers made from
session templates, a real PostgreSQL server, the third-party JavaScript verifiers, a headless
browser)."""

pytest_plugins = ["tests.plugins.factory", "tests.plugins.postgres", "tests.plugins.interop",
                  "tests.plugins.browser", "tests.plugins.admin"]

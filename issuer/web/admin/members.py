"""Admin pages: members (see issuer/web/admin/__init__.py for the conventions)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []

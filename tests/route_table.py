"""Every route the app serves, for tests that must cover each one (body caps, fuzzing): the
Starlette routes of the route table and the API routes FastAPI keeps inside included routers."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute


def served_routes(app: Any) -> list[BaseRoute]:
    found: list[BaseRoute] = []

    def walk(routes: list[BaseRoute], prefix: str) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)
            if included is not None:  # FastAPI's included router: its own routes, prefixed
                context = getattr(route, "include_context", None)
                walk(list(included.routes), prefix + getattr(context, "prefix", ""))
            elif isinstance(getattr(route, "path", None), str):
                found.append(route)

    walk(list(app.routes), "")
    return found

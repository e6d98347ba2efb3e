"""Thin request handlers, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from issuer.web.views import documents, pages


def api_routers() -> list[APIRouter]:
    """JSON APIs described in the OpenAPI document (added by the modules that define them)."""
    return []


__all__ = ["api_routers", "documents", "pages"]

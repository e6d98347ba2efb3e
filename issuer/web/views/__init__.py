"""Thin request handlers, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from issuer.web.views import credentials, documents, pages, verifier


def api_routers() -> list[APIRouter]:
    """JSON APIs described in the OpenAPI document (added by the modules that define them)."""
    from issuer.web import api  # here, not at the top: issuer.web.api imports views.verifier

    return [api.router]


__all__ = ["api_routers", "credentials", "documents", "pages", "verifier"]

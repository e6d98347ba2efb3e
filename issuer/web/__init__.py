"""The public web service (FastAPI, server-rendered Jinja2 pages). Handlers stay thin: the
rules live in the core and in `issuer.issuance.service`."""

from issuer.web import paths

paths.register()  # before any module builds its routes: they use `{name:dbint}`

from issuer.web.app import create_app  # noqa: E402 - after the converter is registered

__all__ = ["create_app"]

"""`make serve PORT=8080` gives working links (issue 13, item 15).

`make serve` runs `issuer init --demo --host H --port P` then `issuer serve --host H --port P`:
without a base URL set by the coordinator, the demo badges, the pages, the QR codes and the
share links name the address the service answers on; a base URL set in the environment or in
issuer.toml wins. The path `issuer serve` takes is `service_to_serve()` (uvicorn not run).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from issuer.cli import context as cli_context
from issuer.cli.main import main as cli_main
from issuer.cli.server import service_to_serve
from issuer.settings import Settings, listening_base_url
from issuer.web import create_app


@pytest.fixture(autouse=True)
def french_messages() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli_context, "LOCALE", "fr")
        yield


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("ISSUER_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("ISSUER_HOME", str(tmp_path))
    return tmp_path


def issuer(*args: str) -> Result:
    result = CliRunner().invoke(cli_main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def served_badge_page(host: str, port: int) -> tuple[str, str]:
    """(home page, first demo badge page) as `issuer serve --host --port` serves them."""
    service = service_to_serve(host, port)
    try:
        client = TestClient(create_app(service.settings, service), base_url=f"http://{host}:{port}")
        home_page = client.get("/").text
        badge_path = re.search(r'href="(?:https?://[^"/]+)?(/credentials/[0-9a-f-]{36})"',
                               home_page)
        assert badge_path, home_page
        return home_page, client.get(badge_path.group(1)).text
    finally:
        service.database.dispose()


def test_links_follow_the_chosen_port(home: Path) -> None:
    init = issuer("init", "--demo", "--host", "127.0.0.1", "--port", "8080")
    assert "http://127.0.0.1:8080/credentials/" in init.output
    assert ":8000" not in init.output

    _, badge_page = served_badge_page("127.0.0.1", 8080)

    assert "http://127.0.0.1:8080/credentials/" in badge_page  # the page's own address, QR alt
    assert "127.0.0.1%3A8080" in badge_page  # the issuer did:web and the encoded share links
    assert ":8000" not in badge_page and "%3A8000" not in badge_page
    assert not (home / "issuer.toml").exists()  # following the port is not setting a base URL


def test_a_base_url_set_in_the_environment_wins(home: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_BASE_URL", "https://badges.example.org")
    issuer("init", "--demo", "--host", "127.0.0.1", "--port", "8080")

    _, badge_page = served_badge_page("127.0.0.1", 8080)

    assert "https://badges.example.org/credentials/" in badge_page
    assert "127.0.0.1:8080" not in badge_page and "%3A8080" not in badge_page


def test_a_base_url_set_in_issuer_toml_wins(home: Path) -> None:
    issuer("init", "--base-url", "https://badges.example.org")
    service = service_to_serve("0.0.0.0", 9000)
    assert service.settings.base_url == "https://badges.example.org"
    service.database.dispose()


@pytest.mark.parametrize(("host", "port", "url"), [
    ("127.0.0.1", 8080, "http://127.0.0.1:8080"),
    ("localhost", 5000, "http://localhost:5000"),
    ("0.0.0.0", 8080, "http://127.0.0.1:8080"),  # every interface: no address to link to
    ("::1", 8080, "http://[::1]:8080"),
    ("::", 8080, "http://127.0.0.1:8080"),
])
def test_listening_base_url(host: str, port: int, url: str) -> None:
    assert listening_base_url(host, port) == url
    assert Settings(base_url=url).base_url == url  # a base URL the settings accept


def test_the_default_serve_keeps_the_historic_address(home: Path) -> None:
    issuer("init")
    service = service_to_serve()
    assert service.settings.base_url == "http://127.0.0.1:8000"
    service.database.dispose()

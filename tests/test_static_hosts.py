"""The host configuration `issuer publish` writes, run by the real servers (issue 14 item 4).

Each server (nginx, Caddy v2, Apache 2.4 with the `.htaccess`) serves the published folder on a
loopback port, with only the generated snippet added to a minimal configuration; every
document of `publication.json` must come back with its media type and cache time. The Debian
packages `nginx-light`, `caddy` and `apache2` come from scripts/system-packages.sh; a server
missing skips its test locally and fails it on CI (`CI=true`), as for PostgreSQL and Node.js.
tests/test_static_publishing.py covers the plain-host `_headers` file.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.publishing import publish
from issuer.issuance.service import IssuerService
from issuer.settings import Settings

BASE_URL = "https://badges.example.org"


@pytest.fixture(scope="module")
def site() -> Iterator[Path]:
    """A published folder readable by a server that drops root (Apache's `User`)."""
    folder = Path(tempfile.mkdtemp(prefix="published-site-"))
    try:
        home = folder / "home"
        service = IssuerService(Settings.load(home=home, base_url=BASE_URL))
        service.init()
        badge = service.issue(IssueRequest("mediateur-numerique", "hote@example.org"))
        service.revoke(badge.credential_id, "Test des hébergeurs")
        publish(service, folder / "site")
        for path in [folder, *(folder / "site").rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield folder / "site"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped: {log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail("the server did not start")


def _documents(site: Path) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = json.loads((site / "publication.json").read_text())[
        "documents"]
    return documents


def _assert_served_as_published(port: int, site: Path, error_log: Path) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, trust_env=False) as http:
        for document in _documents(site):
            response = http.get(document["path"])
            assert response.status_code == 200, (
                document["path"], error_log.exists() and error_log.read_text()[-2000:])
            served = response.headers["content-type"].replace(" ", "").lower()
            assert served == document["mediaType"].replace(" ", "").lower(), document["path"]
            assert response.headers["cache-control"] == document["cacheControl"], document["path"]
            assert response.headers["access-control-allow-origin"] == "*", document["path"]
    paths = {document["path"] for document in _documents(site)}
    assert {"/status/1/revocation", "/issuer", "/.well-known/did.json"} <= paths


@pytest.fixture
def work() -> Iterator[Path]:
    """The server's own files (configuration, logs, pid), outside pytest's private tmp."""
    folder = Path(tempfile.mkdtemp(prefix="static-host-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _require(installed: bool, package: str) -> None:
    if not installed:
        message = f"{package} is not installed (scripts/system-packages.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _run(command: list[str], port: int, log: Path, **env: str) -> Iterator[None]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                   env={**os.environ, **env})
    try:
        _wait(port, process, log)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_nginx_serves_each_document_with_its_media_type_and_cache_time(site, work):
    _require(shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists(), "nginx-light")
    port = _free_port()
    config = work / "nginx.conf"
    temp = "".join(f"{name}_temp_path {work}/{name};\n"
                   for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config.write_text(f"""daemon off; master_process off; pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ }}
http {{
  include /etc/nginx/mime.types; default_type application/octet-stream; access_log off;
  {temp}
  server {{
    listen 127.0.0.1:{port};
    root {site};
    include {site}/nginx-publication.conf;
  }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    for _ in _run([nginx, "-p", str(work), "-c", str(config)], port, work / "out.log"):
        _assert_served_as_published(port, site, work / "error.log")


def test_caddy_serves_each_document_with_its_media_type_and_cache_time(site, work):
    _require(shutil.which("caddy") is not None, "caddy")
    port = _free_port()
    config = work / "Caddyfile"
    config.write_text(f"""{{
  admin off
  auto_https off
  storage file_system {work}/data
}}
http://127.0.0.1:{port} {{
  root * {site}
  import {site}/Caddyfile-publication
  file_server
}}
""")
    for _ in _run(["caddy", "run", "--config", str(config), "--adapter", "caddyfile"], port,
                  work / "out.log", HOME=str(work), XDG_DATA_HOME=str(work / "data"),
                  XDG_CONFIG_HOME=str(work / "config")):
        _assert_served_as_published(port, site, work / "out.log")


def test_apache_with_the_htaccess_serves_each_document_with_its_media_type_and_cache_time(
        site, work):
    _require(Path("/usr/sbin/apache2").exists()
             and Path("/usr/lib/apache2/modules/mod_headers.so").exists(), "apache2")
    port = _free_port()
    modules = "/usr/lib/apache2/modules"
    config = work / "apache2.conf"
    config.write_text(f"""ServerRoot {work}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {work}/apache.pid
ErrorLog {work}/error.log
Mutex file:{work}
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule headers_module {modules}/mod_headers.so
User www-data
Group www-data
TypesConfig /etc/mime.types
DocumentRoot {site}
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory {site}>
  AllowOverride FileInfo
  Require all granted
</Directory>
""")
    for _ in _run(["/usr/sbin/apache2", "-X", "-f", str(config)], port, work / "out.log"):
        _assert_served_as_published(port, site, work / "error.log")

"""A plain static file host on loopback, for the published folder (issue 14 item 4).

`http.server`'s SimpleHTTPRequestHandler serves files from a folder and knows nothing of the
issuer; like a Netlify-style host it reads the folder's `_headers` file (the one `issuer
publish` writes): a path, or a folder pattern ending in `*`, then indented `Name: value`
lines, which replace the headers of the files they match. Without it an extension-less file
such as `status/1/revocation` goes out as `application/octet-stream`, as on a real host.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit


def read_headers_file(text: str) -> list[tuple[str, dict[str, str]]]:
    rules: ClassVar[list[tuple[str, dict[str, str]]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t":
            name, _, value = line.strip().partition(":")
            rules[-1][1][name.strip()] = value.strip()
        else:
            rules.append((line.strip(), {}))
    return rules


def headers_for(rules: list[tuple[str, dict[str, str]]], path: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for pattern, values in rules:
        if pattern == path or (pattern.endswith("*") and path.startswith(pattern[:-1])):
            headers.update(values)
    return headers


class _Handler(SimpleHTTPRequestHandler):
    rules: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_header(self, keyword: str, value: str) -> None:
        path = unquote(urlsplit(self.path).path)
        override = headers_for(self.rules, path)
        if keyword.lower() in {name.lower() for name in override}:
            return  # replaced in end_headers
        super().send_header(keyword, value)

    def end_headers(self) -> None:
        if getattr(self, "_response_code", 200) == 200:
            for name, value in headers_for(self.rules, unquote(urlsplit(self.path).path)).items():
                super().send_header(name, value)
        super().end_headers()

    def send_response(self, code: int, message: str | None = None) -> None:
        self._response_code = code
        super().send_response(code, message)


@dataclass
class StaticHost:
    base_url: str
    folder: Path
    handler: type[_Handler]

    def reload(self) -> None:
        """Read `_headers` again (after a new publication)."""
        headers = self.folder / "_headers"
        self.handler.rules = (read_headers_file(headers.read_text("utf-8"))
                              if headers.exists() else [])


def free_loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def static_host(folder: Path, sock: socket.socket) -> Iterator[StaticHost]:
    """Serve `folder` on the bound loopback socket `sock` until the block ends."""
    handler = type("PublishedFolderHandler", (_Handler,), {"rules": []})
    server = ThreadingHTTPServer(sock.getsockname(), partial(handler, directory=str(folder)),
                                 bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    sock.listen()
    host, port = sock.getsockname()[:2]
    site = StaticHost(f"http://{host}:{port}", folder, handler)
    site.reload()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

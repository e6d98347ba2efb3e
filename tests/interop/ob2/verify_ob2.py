"""Run the official 1EdTech Open Badges 2.0 validator (`openbadges` on PyPI, the
openbadges-validator-core package) offline, unmodified, on one input.

Runs in its own virtual environment (see tests/plugins/ob2_validator.py): the validator pins
libraries of 2018 that cannot live beside the project's. Reads a JSON request on stdin:

    {"input": "<JSON text, JWS or URL>" | {"$base64": "<baked PNG or SVG>"},
     "documents": {"<URL>": <JSON> | <HTTP status> | {"$base64": "...", "contentType": "..."}}}

Every HTTP request the validator makes is answered from `documents` (the OB 2.0 context from
the validator's own copy); anything else is a 404, and no socket is ever opened. Prints the
validator's report: {"valid": bool, "errorCount": int, "messages": [...]}.
"""

import base64
import io
import json
import socket
import sys

import requests
import requests.adapters
from openbadges import verify
from openbadges.verifier.openbadges_context import OPENBADGES_CONTEXT_V2_DICT

OB2_CONTEXT = "https://w3id.org/openbadges/v2"


def _no_socket(*args, **kwargs):
    raise OSError("offline: no connection is ever opened")


def main():
    request = json.load(sys.stdin)
    documents = dict(request.get("documents", {}))
    documents.setdefault(OB2_CONTEXT, OPENBADGES_CONTEXT_V2_DICT)
    requested = []

    def send(adapter, prepared, **kwargs):
        url = prepared.url.split("#", 1)[0]
        requested.append(url)
        page = documents.get(url, 404)
        response = requests.Response()
        response.url = url
        response.request = prepared
        if isinstance(page, int):
            response.status_code, body = page, b"{}"
        elif isinstance(page, dict) and "$base64" in page:
            response.status_code, body = 200, base64.b64decode(page["$base64"])
            response.headers["Content-Type"] = page["contentType"]
        else:
            response.status_code, body = 200, json.dumps(page).encode("utf-8")
            response.headers["Content-Type"] = "application/ld+json"
        response.raw = io.BytesIO(body)
        response.encoding = "utf-8"
        return response

    requests.adapters.HTTPAdapter.send = send
    socket.socket.connect = _no_socket
    socket.create_connection = _no_socket
    given = request["input"]
    if isinstance(given, dict):  # a baked image, read as a file
        given = io.BytesIO(base64.b64decode(given["$base64"]))
    report = verify(given, use_cache=False, cache_backend=None)["report"]
    json.dump({"valid": report["valid"], "errorCount": report["errorCount"],
               "messages": [message.get("result") for message in report["messages"]],
               "requested": requested}, sys.stdout)


if __name__ == "__main__":
    main()

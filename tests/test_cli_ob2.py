"""`issuer verify` on badges from elsewhere that need no network: an Open Badges 1.0 badge is
"format not supported" (exit 2, unreadable input), never "not authentic"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import Issuer, verify, verify_report

OB1_ASSERTION = {
    "uid": "abc123", "issuedOn": 1359217910,
    "recipient": {"type": "email", "hashed": False, "identity": "camille@example.org"},
    "badge": "https://badges.example.org/badge-1.0.json",
    "verify": {"type": "hosted", "url": "https://badges.example.org/a/abc123.json"},
}


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Issuer:
    command = Issuer(tmp_path_factory.mktemp("issuer-home"))
    command.ok("init")
    return command


def test_open_badges_1_is_unreadable_input_not_a_forgery(issuer: Issuer, tmp_path: Path) -> None:
    path = tmp_path / "ob1.json"
    path.write_text(json.dumps(OB1_ASSERTION), "utf-8")
    code, report = verify_report(issuer, path)
    assert code == 2
    assert report["standard"] == "ob2" and report["unreadable"] is True
    assert report["checks"][0]["code"] == "format.unsupported_ob1"
    assert report["summary"]["fr"].startswith("Format non pris en charge")
    plain = verify(issuer, path)
    assert plain.exit_code == 2 and "non authentique" not in plain.output

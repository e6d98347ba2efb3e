"""French first (DEVELOPERS.md): every string a person reads has its French translation, and
the message catalogue is in step with the code and the templates, so that a new string cannot
reach a page in English by accident. Run `make translations` when these fail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "issuer/locale/messages.pot"
FRENCH = ROOT / "issuer/locale/fr/LC_MESSAGES/messages.po"


def _ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {str(message.id) for message in read_po(handle) if message.id}


def test_every_message_has_a_french_translation() -> None:
    with FRENCH.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    # A plural message (ngettext) has one French string per form: every form is needed.
    missing = sorted(str(m.id) for m in catalog if m.id and (
        not (all(m.string) if isinstance(m.string, tuple) else m.string) or m.fuzzy))
    assert missing == [], f"no French for: {missing[:20]}"
    assert _ids(TEMPLATE) <= {str(m.id) for m in catalog if m.id}


def test_the_message_template_lists_every_string_of_the_code_and_templates(tmp_path: Path) -> None:
    extracted = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "_", "-k", "gettext", "--no-location",
                    "-o", str(extracted), "."],
                   check=True, capture_output=True, cwd=ROOT)
    found = _ids(extracted)
    assert "Endorse a badge" in found and "Check a badge" in found  # templates and code read
    new = found - _ids(TEMPLATE)
    assert new == set(), f"run `make translations`: not in messages.pot: {sorted(new)[:20]}"


def test_counts_take_each_languages_plural() -> None:
    """French counts 0 and 1 in the singular, English only 1 (the catalogue's Plural-Forms)."""
    from issuer.i18n import ngettext

    def women(count: int, locale: str) -> str:
        return ngettext("%(num)d woman", "%(num)d women", count, locale) % {"num": count}

    assert [women(n, "fr") for n in (0, 1, 2)] == ["0 femme", "1 femme", "2 femmes"]
    assert [women(n, "en") for n in (0, 1, 2)] == ["0 women", "1 woman", "2 women"]

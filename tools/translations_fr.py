"""Helper for `make translations`: merges the template into the French catalogue.

Run: python tools/translations_fr.py — keeps existing French strings, fills missing ones from
`tools/fr_strings/*.json` (message id -> French, one file per area, easy to review), and reports
what is still missing (exit code 1). A plural message (`ngettext`) is keyed by its singular id
and given as a list of the French forms: `"%(num)d woman": ["%(num)d femme", "%(num)d femmes"]`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "issuer/locale/messages.pot"
FRENCH = ROOT / "issuer/locale/fr/LC_MESSAGES/messages.po"


def main() -> int:
    with TEMPLATE.open("rb") as handle:
        template = read_po(handle)
    catalog: Catalog
    if FRENCH.exists():
        with FRENCH.open("rb") as handle:
            catalog = read_po(handle, locale="fr")
        catalog.update(template, no_fuzzy_matching=True)
    else:
        catalog = Catalog(locale="fr", project="roubaix-badges-issuer")
        catalog.update(template)
    FRENCH.parent.mkdir(parents=True, exist_ok=True)
    with FRENCH.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, omit_header=False,
                 ignore_obsolete=True)
    proposals: dict[str, str | list[str]] = {}
    for path in sorted((ROOT / "tools/fr_strings").glob("*.json")):
        proposals.update(json.loads(path.read_text("utf-8")))
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        proposal = proposals.get(key) if key else None
        if proposal is None or isinstance(proposal, list) != isinstance(message.id, tuple):
            continue
        if not _translated(message.string) or message.fuzzy:
            message.string = tuple(proposal) if isinstance(proposal, list) else proposal
            message.flags.discard("fuzzy")
    with FRENCH.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, omit_header=False,
                 ignore_obsolete=True)
    missing = [m.id for m in catalog if m.id and not _translated(m.string)]
    for message_id in missing:
        print(f"missing French: {message_id!r}", file=sys.stderr)
    return 1 if missing else 0


def _translated(string: str | tuple[str, ...]) -> bool:
    """A plural message has one string per form: all are needed."""
    return all(string) if isinstance(string, tuple) else bool(string)


if __name__ == "__main__":
    raise SystemExit(main())

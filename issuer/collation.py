"""French alphabetical order for names and labels, without ICU (issue 13, item 10).

Python sorts by code point: "Élodie" after "Zoé", "de Vries" after "Durand". French readers
expect the order of a dictionary: letters compared first without accents, case or punctuation
("é" = "e", "œ" = "oe"), then, between otherwise equal words, the unaccented one first, then
lower case first (the Unicode Collation Algorithm's three levels, as CLDR orders French today).
PyICU would do it but is a compiled dependency the project does not otherwise need; the three
levels below are enough for people's names, sectors and labels.
"""

from __future__ import annotations

import unicodedata

# Letters that NFKD does not decompose but a French dictionary spells out.
# (\u0131 is the dotless i.)
_EXPANSIONS = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "\u0131": "i"})


def _base_letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_EXPANSIONS))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def sort_key(text: str) -> tuple[str, str, str]:
    """Key for `sorted`: base letters (punctuation and spacing ignored), then accents, then
    case, lower case first."""
    primary = "".join(char for char in _base_letters(text) if char.isalnum())
    secondary = unicodedata.normalize("NFKD", text.casefold())
    tertiary = text.swapcase()
    return primary, secondary, tertiary

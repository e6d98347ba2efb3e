"""Person names: one rule for every place a name comes in (issue #10, item 7).

A name is shown on badge pages, signed into credentials, printed on attestations, listed in
the workspace, the directory and e-mails. Some characters change what is *shown* without
being seen: bidirectional controls reorder the text (U+202E makes "Camille\u202Eelif.exe"
read backwards), zero-width and other format characters (Unicode category Cf) make two names
that look the same differ, control characters (C0, DEL, C1 such as U+0085 NEL) break lines
in some readers. Such a name is refused with a message naming the character, rather than
cleaned silently: the coordinator then sees what was in the list.

The rule (`check_person_name`):
- refused anywhere: control characters (Cc) other than ordinary whitespace, format
  characters (Cf: bidi embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069,
  marks U+200E, U+200F, U+061C, zero-width space U+200B, word joiner, BOM...), line and
  paragraph separators (Zl, Zp), private-use, surrogate and unassigned code points, and the
  letters that draw nothing (Hangul fillers U+115F, U+1160, U+3164, U+FFA0, braille blank
  U+2800);
- ZERO WIDTH NON-JOINER (U+200C) and ZERO WIDTH JOINER (U+200D) are kept *inside a word of a
  script that uses them*: Persian writes ZWNJ inside ordinary names, Indic scripts choose
  conjunct forms with ZWJ/ZWNJ, and a resident's name must be writable as they write it.
  Between two letters of Latin, Greek or Cyrillic, at an edge or next to a space they change
  nothing visible, so there they could only make a look-alike: refused;
- more than `MAX_COMBINING_MARKS` combining marks in a row (stacked marks spill over the
  neighbouring lines of a page);
- whitespace runs (tabs, line breaks, no-break spaces) fold to one space, ends trimmed, and
  the result is at most `MAX_NAME_LENGTH` characters.

Pure: no web framework, no database.
"""

from __future__ import annotations

import unicodedata

from issuer.errors import InvalidInput

MAX_NAME_LENGTH = 200
MAX_COMBINING_MARKS = 4
NAME_CODE = "recipient.bad_name"

_JOINERS = frozenset("\u200c\u200d")
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
_ORDINARY_WHITESPACE = frozenset("\t\n\r")
_NO_JOINER_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")


class NameRefused(InvalidInput):
    code = NAME_CODE


def _code_point(character: str) -> str:
    return f"U+{ord(character):04X}"


def _is_word_character(character: str) -> bool:
    return unicodedata.category(character)[0] in "LM"


def _joiner_fits(text: str, index: int) -> bool:
    """A joiner between two letters (or marks) of a script that uses joiners."""
    if index == 0 or index == len(text) - 1:
        return False
    before, after = text[index - 1], text[index + 1]
    if not (_is_word_character(before) and _is_word_character(after)):
        return False
    return not any(unicodedata.name(neighbour, "").startswith(_NO_JOINER_SCRIPTS)
                   for neighbour in (before, after))


def name_problem(value: str) -> tuple[str, str] | None:
    """Why `value` cannot be a person's name (a lower-case phrase in French, then English,
    for a sentence or a list line); None when it can. Emptiness is the caller's business."""
    marks = 0
    for index, character in enumerate(value):
        category = unicodedata.category(character)
        marks = marks + 1 if category in ("Mn", "Me") else 0
        if marks > MAX_COMBINING_MARKS:
            return ("le nom empile trop de signes diacritiques sur une même lettre",
                    "the name stacks too many combining marks on one letter")
        if character in _ORDINARY_WHITESPACE:
            continue
        if character in _JOINERS and _joiner_fits(value, index):
            continue
        if category in _REFUSED_CATEGORIES or character in _BLANK_LETTERS:
            point = _code_point(character)
            if category in ("Cc", "Zl", "Zp"):
                return (f"le nom contient un caractère de contrôle ({point})",
                        f"the name contains a control character ({point})")
            french = (f"le nom contient un caractère invisible ou de mise en forme ({point}) "
                      "qui peut tromper sur ce qui est affiché")
            english = (f"the name contains an invisible or formatting character ({point}) "
                       "that can disguise what is shown")
            return french, english
    if len(" ".join(value.split())) > MAX_NAME_LENGTH:
        return (f"le nom dépasse {MAX_NAME_LENGTH} caractères",
                f"the name is longer than {MAX_NAME_LENGTH} characters")
    return None


def as_sentences(problem: tuple[str, str]) -> tuple[str, str]:
    """A `name_problem` phrase pair as two sentences."""
    return tuple(phrase[0].upper() + phrase[1:] + "." for phrase in problem)  # type: ignore[return-value]


def check_person_name(value: str | None, *, required: bool = True) -> str | None:
    """`value` with spaces folded, or `NameRefused` (French, then English). An empty name is
    refused when `required`, else None."""
    problem = name_problem(value or "")
    if problem is not None:
        raise NameRefused(*as_sentences(problem))
    folded = " ".join((value or "").split())
    if not folded:
        if required:
            raise NameRefused("Indiquez le nom de la personne.", "Give the person's name.",
                              code="recipient.name_required")
        return None
    return folded

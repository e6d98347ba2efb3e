"""Attendance lists (CSV) as the coordinator exports them, read into issue requests.

Accepts the header row in English (`name,email,role`) or French (`nom,courriel,rôle`, also
`e-mail`, `mail`, `prénom nom`), comma or semicolon separated (French spreadsheets write `;`),
UTF-8 with or without BOM, or Windows-1252. Every line is checked before anything is issued, and
every problem is reported with its line number, in French and English.

A list with some bad lines still gives its good lines (`Attendance.rows`): the callers decide
whether to record them now and leave the bad ones to be corrected (the admin page's choice, the
CLI's `--issue-valid-lines`). Two lines for the same person whose name and e-mail differ only by
case or spaces are merged into the first, with a note (`Attendance.notes`); the same e-mail with
another name or role stays a problem, since only the coordinator knows which one is right.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from issuer.errors import InvalidInput
from issuer.names import name_problem
from issuer.openbadges.badge_definitions import BadgeDefinition
from issuer.openbadges.credential import normalise_email

MAX_ROWS = 5_000
MAX_BYTES = 2_000_000

_COLUMN_NAMES = {
    "name": {"name", "nom", "prenom nom", "nom complet", "full name", "participant", "participante"},
    "email": {"email", "e-mail", "mail", "courriel", "adresse e-mail", "adresse mail", "adresse courriel"},
    "role": {"role", "rôle", "fonction"},
    "sector": {"sector", "secteur"},
    "show_name": {"show name", "show_name", "afficher nom", "afficher_nom", "afficher le nom",
                  "nom visible", "consentement nom"},
}
_YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
_NO = {"non", "n", "no", "0", "false", "faux", ""}


@dataclass(frozen=True)
class AttendanceRow:
    line: int
    name: str
    email: str
    role: str | None = None
    sector: str | None = None
    show_name: bool | None = None


@dataclass(frozen=True)
class LineProblem:
    line: int
    message_fr: str
    message_en: str


@dataclass
class Attendance:
    rows: list[AttendanceRow] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    #: Lines merged into an earlier one (same person, differing only by case): not problems.
    notes: list[LineProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("_", " ")


def _column_for(header: str) -> str | None:
    plain = _plain(header)
    for column, names in _COLUMN_NAMES.items():
        if plain in {_plain(n) for n in names}:
            return column
    return None


def decode_csv_bytes(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise InvalidInput("Fichier trop volumineux (2 Mo au plus).",
                           "File too large (2 MB at most).", code="attendance.too_large")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("Encodage du fichier non reconnu (UTF-8 attendu).",  # pragma: no cover
                       "Unrecognised file encoding (UTF-8 expected).", code="attendance.encoding")


def read_attendance(text: str, badge: BadgeDefinition) -> Attendance:
    """Parse and check an attendance list for `badge` (roles must exist for that badge)."""
    if "\x00" in text:
        raise InvalidInput("Ce fichier n'est pas un fichier texte CSV.",
                           "This file is not a CSV text file.", code="attendance.not_csv")
    empty = InvalidInput("Le fichier est vide.", "The file is empty.", code="attendance.empty")
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")  # an old Mac file: CR alone ends every line
    header_line = next((line for line in text.splitlines() if line.strip()), None)
    if header_line is None:
        raise empty
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(header_line))
    records = _records(reader)
    for _line, header in records:  # blank lines above the header are harmless
        if header is not None and any(cell.strip() for cell in header):
            break
    else:
        raise empty
    if header is None:  # pragma: no cover - the loop above only stops on a real header
        raise empty
    columns = [_column_for(cell) for cell in header]
    if "name" not in columns or "email" not in columns:
        raise InvalidInput(
            "La première ligne doit nommer les colonnes « nom » et « courriel » (ou name, email) ; "
            f"trouvé : {', '.join(header)}.",
            f"The first line must name the columns 'name' and 'email' (or nom, courriel); "
            f"found: {', '.join(header)}.", code="attendance.bad_header")
    attendance = Attendance()
    seen: dict[str, AttendanceRow] = {}
    for line_number, cells in records:
        if len(attendance.rows) + len(attendance.problems) + len(attendance.notes) >= MAX_ROWS:
            raise InvalidInput(f"Trop de lignes ({MAX_ROWS} au plus).",
                               f"Too many lines ({MAX_ROWS} at most).", code="attendance.too_many")
        if cells is None:
            attendance.problems.append(_stray_carriage_return(line_number))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        values = {column: cells[i].strip() for i, column in enumerate(columns)
                  if column and i < len(cells)}
        problem = _check_line(line_number, values, badge)
        if problem:
            attendance.problems.append(problem)
            continue
        show = values.get("show_name")
        row = AttendanceRow(
            line=line_number, name=" ".join(values["name"].split()),
            email=normalise_email(values["email"]), role=values.get("role") or None,
            sector=values.get("sector") or None,
            show_name=None if show is None else _plain(show) in _YES)
        first = seen.get(row.email)
        if first is None:
            seen[row.email] = row
            attendance.rows.append(row)
        elif _same_person(first, row, badge):
            attendance.notes.append(LineProblem(
                line_number, f"même personne que la ligne {first.line} (seules les majuscules "
                f"ou les espaces diffèrent) : fusionnée avec elle",
                f"same person as line {first.line} (only capitals or spaces differ): merged "
                f"into it"))
        else:
            attendance.problems.append(LineProblem(
                line_number, f"doublon de la ligne {first.line} ({row.email}) avec un autre nom "
                f"ou un autre rôle : gardez une seule ligne",
                f"duplicate of line {first.line} ({row.email}) with another name or role: "
                f"keep one line"))
    return attendance


def _stray_carriage_return(line: int) -> LineProblem:
    return LineProblem(
        line, "retour chariot (CR) seul dans une cellule sans guillemets : supprimez ce retour à "
        "la ligne ou mettez la cellule entre guillemets",
        "carriage return (CR) alone in a cell without quotes: remove that line break or put the "
        "cell in quotes")


def _records(reader: Any) -> Iterator[tuple[int, list[str] | None]]:
    """Each record with the line where it starts (a quoted cell may span several lines); None
    for a line the csv module cannot read (a carriage return alone inside an unquoted cell,
    what a spreadsheet cell with a line break becomes in some exports). The reader goes on with
    the next line after such an error, so one bad line does not hide the others."""
    next_line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            line_number, next_line = next_line, reader.line_num + 1
            yield line_number, None
            continue
        line_number, next_line = next_line, reader.line_num + 1
        yield line_number, cells


def _same_person(first: AttendanceRow, row: AttendanceRow, badge: BadgeDefinition) -> bool:
    """Same e-mail (already compared in lower case), same name but for case and spaces, same
    role and sector: a line copied twice, safe to merge."""
    def role_of(value: str | None) -> str | None:
        role = badge.role(value) if value else None
        return role.slug if role else None

    return (first.name.casefold() == row.name.casefold()
            and role_of(first.role) == role_of(row.role)
            and (first.sector or "").casefold() == (row.sector or "").casefold())


def _delimiter(header_line: str) -> str:
    """The delimiter that splits the header row into the most known column names.

    csv.Sniffer guesses from the data lines and gives up on ragged ones (an empty cell, a missing
    e-mail): exactly the lists that most need per-line messages. The header is the one line whose
    content is known. Ties go to `;`, what French spreadsheets write.
    """
    def known_columns(delimiter: str) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(_column_for(cell) is not None for cell in cells)

    return max((";", ",", "\t"), key=known_columns)


def _check_line(line: int, values: dict[str, str], badge: BadgeDefinition) -> LineProblem | None:
    if not values.get("name"):
        return LineProblem(line, "nom manquant", "missing name")
    problem = name_problem(values["name"])
    if problem is not None:
        return LineProblem(line, *problem)
    raw_email = values.get("email", "")
    if not raw_email:
        return LineProblem(line, "adresse e-mail manquante", "missing e-mail address")
    try:
        normalise_email(raw_email)
    except InvalidInput:
        return LineProblem(line, f"adresse e-mail invalide « {raw_email} »",
                           f"invalid e-mail address '{raw_email}'")
    role = values.get("role")
    if role and badge.role(role) is None:
        known = ", ".join(r.name.fr for r in badge.roles) or "aucun"
        return LineProblem(line, f"rôle inconnu « {role} » (rôles possibles : {known})",
                           f"unknown role '{role}' (possible roles: "
                           f"{', '.join(r.name.en for r in badge.roles) or 'none'})")
    sector = values.get("sector")
    if sector and badge.sectors and sector not in badge.sectors:
        return LineProblem(line, f"secteur inconnu « {sector} »", f"unknown sector '{sector}'")
    show = values.get("show_name")
    if show is not None and _plain(show) not in _YES | _NO:
        return LineProblem(line, f"valeur « {show} » : répondez oui ou non",
                           f"value '{show}': answer yes or no")
    return None

"""Attendance lists (CSV) as the coordinator exports them, read into issue requests.

Accepts the header row in English (`name,email,role`) or French (`nom,courriel,rôle`, also
`e-mail`, `mail`, `prénom nom`), comma or semicolon separated (French spreadsheets write `;`),
UTF-8 with or without BOM, or Windows-1252. Every line is checked before anything is issued, and
every problem is reported with its line number, in French and English.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

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
    header_line = next((line for line in text.splitlines() if line.strip()), None)
    if header_line is None:
        raise empty
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(header_line))
    for header in reader:  # blank lines above the header are harmless
        if any(cell.strip() for cell in header):
            break
    else:
        raise empty
    columns = [_column_for(cell) for cell in header]
    if "name" not in columns or "email" not in columns:
        raise InvalidInput(
            "La première ligne doit nommer les colonnes « nom » et « courriel » (ou name, email) ; "
            f"trouvé : {', '.join(header)}.",
            f"The first line must name the columns 'name' and 'email' (or nom, courriel); "
            f"found: {', '.join(header)}.", code="attendance.bad_header")
    attendance = Attendance()
    seen: dict[str, int] = {}
    next_line = reader.line_num + 1
    for cells in reader:
        # The line where the record starts (a quoted cell may span several lines).
        line_number, next_line = next_line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(attendance.rows) + len(attendance.problems) >= MAX_ROWS:
            raise InvalidInput(f"Trop de lignes ({MAX_ROWS} au plus).",
                               f"Too many lines ({MAX_ROWS} at most).", code="attendance.too_many")
        values = {column: cells[i].strip() for i, column in enumerate(columns)
                  if column and i < len(cells)}
        problem = _check_line(line_number, values, badge, seen)
        if problem:
            attendance.problems.append(problem)
            continue
        email = normalise_email(values["email"])
        seen[email] = line_number
        show = values.get("show_name")
        attendance.rows.append(AttendanceRow(
            line=line_number, name=" ".join(values["name"].split()), email=email,
            role=values.get("role") or None, sector=values.get("sector") or None,
            show_name=None if show is None else _plain(show) in _YES))
    return attendance


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


def _check_line(line: int, values: dict[str, str], badge: BadgeDefinition,
                seen: dict[str, int]) -> LineProblem | None:
    if not values.get("name"):
        return LineProblem(line, "nom manquant", "missing name")
    problem = name_problem(values["name"])
    if problem is not None:
        return LineProblem(line, *problem)
    raw_email = values.get("email", "")
    if not raw_email:
        return LineProblem(line, "adresse e-mail manquante", "missing e-mail address")
    try:
        email = normalise_email(raw_email)
    except InvalidInput:
        return LineProblem(line, f"adresse e-mail invalide « {raw_email} »",
                           f"invalid e-mail address '{raw_email}'")
    if email in seen:
        return LineProblem(line, f"doublon de la ligne {seen[email]} ({email})",
                           f"duplicate of line {seen[email]} ({email})")
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

"""Attendance lists as the coordinator exports them from a spreadsheet: English or French headers,
comma or semicolon, UTF-8 (with or without BOM) or Windows-1252. Every line is checked before
anything is issued and every problem names its line, in French first."""

from __future__ import annotations

import pytest

from issuer.errors import InvalidInput
from issuer.issuance.catalogue import load_catalogue
from issuer.openbadges.badge_definitions import BadgeDefinition
from issuer.workspace.attendance import MAX_ROWS, Attendance, decode_csv_bytes, read_attendance


@pytest.fixture(scope="module")
def breakfast() -> BadgeDefinition:
    return load_catalogue().badge("petit-dejeuner-inclusion-numerique")


@pytest.fixture(scope="module")
def council() -> BadgeDefinition:
    return load_catalogue().badge("membre-cln")


def read_bytes(data: bytes, badge: BadgeDefinition) -> Attendance:
    return read_attendance(decode_csv_bytes(data), badge)


def refusal_code(text: str, badge: BadgeDefinition) -> str:
    with pytest.raises(InvalidInput) as refused:
        read_attendance(text, badge)
    assert refused.value.message_fr and refused.value.message_en
    return refused.value.code


# -- reading ---------------------------------------------------------------------------------------
def test_english_header_with_commas(breakfast: BadgeDefinition) -> None:
    attendance = read_attendance(
        "name,email,role\nAlice Martin,alice@example.org,participant\n"
        "Bruno Leroy,BRUNO@Example.org,speaker\n", breakfast)
    assert attendance.ok
    assert [(row.line, row.name, row.email, row.role) for row in attendance.rows] == [
        (2, "Alice Martin", "alice@example.org", "participant"),
        (3, "Bruno Leroy", "bruno@example.org", "speaker"),
    ]


def test_french_header_with_semicolons_as_french_spreadsheets_write(
        breakfast: BadgeDefinition) -> None:
    attendance = read_attendance(
        "Nom;Courriel;Rôle\nDupont, Marie;marie@example.org;Intervenante\n"
        "Yann Le Gall;yann@example.org;animateur\n", breakfast)
    assert attendance.ok
    assert [(row.name, row.email, row.role) for row in attendance.rows] == [
        ("Dupont, Marie", "marie@example.org", "Intervenante"),
        ("Yann Le Gall", "yann@example.org", "animateur"),
    ]


@pytest.mark.parametrize("header", ["e-mail", "mail", "adresse e-mail", "EMAIL", " courriel "])
def test_usual_names_of_the_email_column_are_understood(header: str,
                                                        breakfast: BadgeDefinition) -> None:
    attendance = read_attendance(f"nom;{header}\nMarie Dupont;marie@example.org\n", breakfast)
    assert [row.email for row in attendance.rows] == ["marie@example.org"]


def test_columns_may_come_in_any_order(breakfast: BadgeDefinition) -> None:
    attendance = read_attendance("courriel;rôle;nom\nmarie@example.org;participante;Marie\n",
                                 breakfast)
    assert [(row.name, row.email, row.role) for row in attendance.rows] == [
        ("Marie", "marie@example.org", "participante")]


def test_tab_separated_list_is_read(breakfast: BadgeDefinition) -> None:
    attendance = read_attendance("nom\tcourriel\nMarie Dupont\tmarie@example.org\n", breakfast)
    assert [row.name for row in attendance.rows] == ["Marie Dupont"]


def test_windows_1252_bytes_from_an_old_spreadsheet_keep_their_accents(
        breakfast: BadgeDefinition) -> None:
    data = "nom;courriel;rôle\nHélène Dupré;helene@example.org;Intervenant\n".encode("cp1252")
    attendance = read_bytes(data, breakfast)
    assert attendance.ok
    assert [(row.name, row.role) for row in attendance.rows] == [("Hélène Dupré", "Intervenant")]


def test_utf8_byte_order_mark_does_not_hide_the_first_column(breakfast: BadgeDefinition) -> None:
    data = "\ufeffnom;courriel\nÉlodie Cœur;elodie@example.org\n".encode()
    attendance = read_bytes(data, breakfast)
    assert [(row.name, row.email) for row in attendance.rows] == [
        ("Élodie Cœur", "elodie@example.org")]


def test_windows_line_endings_and_blank_lines_are_harmless(breakfast: BadgeDefinition) -> None:
    data = b"\r\nnom;courriel\r\nMarie;marie@example.org\r\n;\r\n\r\nJean;jean@example.org\r\n"
    attendance = read_bytes(data, breakfast)
    assert attendance.ok
    assert [(row.line, row.name) for row in attendance.rows] == [(3, "Marie"), (6, "Jean")]


def test_consent_column_says_whether_the_name_is_shown(breakfast: BadgeDefinition) -> None:
    attendance = read_attendance(
        "nom;courriel;afficher le nom\nMarie;marie@example.org;oui\nJean;jean@example.org;non\n"
        "Paul;paul@example.org;\n", breakfast)
    assert [row.show_name for row in attendance.rows] == [True, False, False]


def test_without_consent_column_the_choice_is_left_to_the_command(
        breakfast: BadgeDefinition) -> None:
    attendance = read_attendance("nom;courriel\nMarie;marie@example.org\n", breakfast)
    assert attendance.rows[0].show_name is None


def test_council_list_carries_the_sector(council: BadgeDefinition) -> None:
    attendance = read_attendance(
        "nom;courriel;rôle;secteur\nMarie;marie@example.org;conseillère;Nord\n", council)
    assert attendance.ok
    assert (attendance.rows[0].role, attendance.rows[0].sector) == ("conseillère", "Nord")


# -- per-line problems -------------------------------------------------------------------------------
def problems_by_line(attendance: Attendance) -> dict[int, str]:
    return {problem.line: problem.message_fr for problem in attendance.problems}


def test_every_bad_line_is_reported_with_its_line_number_in_french(
        breakfast: BadgeDefinition) -> None:
    attendance = read_attendance(
        "nom;courriel;rôle\n"
        "Marie Dupont;marie@example.org;participante\n"   # 2: fine
        "Jean Petit;jean.petit@example;participant\n"     # 3: no top-level domain
        "Paul Roger;;participant\n"                      # 4: no e-mail
        ";sans.nom@example.org;participant\n"            # 5: no name
        "Marie D.;Marie@Example.org;participante\n"      # 6: same person as line 2
        "Luc Blanc;luc@example.org;cuisinier\n"          # 7: not a role of this badge
        "Ana Sousa;ana@example.org;intervenante\n",      # 8: fine
        breakfast)
    assert not attendance.ok
    assert [row.line for row in attendance.rows] == [2, 8]
    problems = problems_by_line(attendance)
    assert sorted(problems) == [3, 4, 5, 6, 7]
    assert "adresse e-mail invalide" in problems[3] and "jean.petit@example" in problems[3]
    assert "adresse e-mail manquante" in problems[4]
    assert "nom manquant" in problems[5]
    assert "doublon de la ligne 2" in problems[6]
    assert "rôle inconnu « cuisinier »" in problems[7]
    assert "Intervenant·e" in problems[7]  # the French message lists the possible roles


def test_every_problem_has_an_english_message_too(breakfast: BadgeDefinition) -> None:
    attendance = read_attendance("nom;courriel;rôle\nLuc;luc@example.org;cuisinier\n"
                                 "Jean;pas-une-adresse;\n", breakfast)
    assert [problem.message_en for problem in attendance.problems] == [
        "unknown role 'cuisinier' (possible roles: Participant, Speaker, Workshop facilitator)",
        "invalid e-mail address 'pas-une-adresse'",
    ]


def test_duplicate_emails_are_found_whatever_their_case_and_spaces(
        breakfast: BadgeDefinition) -> None:
    attendance = read_attendance("name,email\nA,a@example.org\nB, A@EXAMPLE.ORG \n", breakfast)
    assert problems_by_line(attendance) == {3: "doublon de la ligne 2 (a@example.org) avec un autre "
                                               "nom ou un autre rôle : gardez une seule ligne"}
    assert [row.line for row in attendance.rows] == [2]


def test_a_line_repeated_with_other_capitals_is_merged_with_a_note(
        breakfast: BadgeDefinition) -> None:
    attendance = read_attendance(
        "nom;courriel;rôle\n"
        "Marie Dupont;marie@example.org;participante\n"
        "MARIE  dupont ; Marie@Example.ORG;Participante\n"
        "Luc Blanc;luc@example.org;\n", breakfast)
    assert attendance.ok  # a merge is not a problem
    assert [(row.line, row.name, row.email) for row in attendance.rows] == [
        (2, "Marie Dupont", "marie@example.org"), (4, "Luc Blanc", "luc@example.org")]
    assert [(note.line, note.message_fr) for note in attendance.notes] == [
        (3, ("même personne que la ligne 2 (seules les majuscules ou les espaces diffèrent) : "
             "fusionnée avec elle"))]
    assert attendance.notes[0].message_en == (
        "same person as line 2 (only capitals or spaces differ): merged into it")


def test_the_same_address_in_another_role_is_not_merged(breakfast: BadgeDefinition) -> None:
    attendance = read_attendance("nom;courriel;rôle\nAna;ana@example.org;participante\n"
                                 "ana;ANA@example.org;intervenante\n", breakfast)
    assert not attendance.notes
    assert sorted(problems_by_line(attendance)) == [3]


# -- a carriage return alone (issue 13 item 8) -------------------------------------------------------
def test_a_carriage_return_alone_in_an_unquoted_cell_is_a_line_error(
        breakfast: BadgeDefinition) -> None:
    # What some spreadsheets export for a cell with a line break; the csv module raised
    # csv.Error here, a traceback in the CLI and a 500 on the upload page.
    attendance = read_bytes(b"nom;courriel\nMarie Dupont;marie@example.org\n"
                            b"Jean\rPetit;jean@example.org\nLuc Blanc;luc@example.org\n", breakfast)
    assert [row.line for row in attendance.rows] == [2, 4]
    assert [problem.line for problem in attendance.problems] == [3]
    problem = attendance.problems[0]
    assert problem.message_fr.startswith("retour chariot (CR) seul dans une cellule sans guillemets")
    assert problem.message_en.startswith("carriage return (CR) alone in a cell without quotes")


def test_a_carriage_return_inside_quotes_stays_in_the_cell(breakfast: BadgeDefinition) -> None:
    attendance = read_attendance('nom;courriel\n"Jean\rPetit";jean@example.org\n', breakfast)
    assert attendance.ok
    assert [row.name for row in attendance.rows] == ["Jean Petit"]


def test_a_file_whose_lines_end_with_a_carriage_return_alone_is_read(
        breakfast: BadgeDefinition) -> None:
    attendance = read_attendance("nom;courriel\rMarie;marie@example.org\rLuc;luc@example.org\r",
                                 breakfast)
    assert attendance.ok
    assert [(row.line, row.name) for row in attendance.rows] == [(2, "Marie"), (3, "Luc")]


def test_a_ragged_semicolon_list_still_gets_per_line_messages(breakfast: BadgeDefinition) -> None:
    # An empty cell or a missing column must not turn the whole file into "bad header".
    attendance = read_attendance("nom;courriel\nMarie;marie@example.org\nPaul;;\nJean\n",
                                 breakfast)
    assert [row.line for row in attendance.rows] == [2]
    assert sorted(problems_by_line(attendance)) == [3, 4]


def test_unknown_sector_is_reported(council: BadgeDefinition) -> None:
    attendance = read_attendance("nom;courriel;secteur\nMarie;marie@example.org;Lille\n", council)
    assert problems_by_line(attendance) == {2: "secteur inconnu « Lille »"}


def test_a_consent_cell_must_say_yes_or_no(breakfast: BadgeDefinition) -> None:
    attendance = read_attendance("nom;courriel;afficher le nom\nMarie;marie@example.org;peut-être\n",
                                 breakfast)
    assert problems_by_line(attendance) == {2: "valeur « peut-être » : répondez oui ou non"}


def test_a_name_with_control_characters_is_refused_before_signing(
        breakfast: BadgeDefinition) -> None:
    attendance = read_attendance("nom;courriel\nMarie\x0bDupont;marie@example.org\n", breakfast)
    assert list(problems_by_line(attendance)) == [2]


# -- whole-file refusals ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "   \n\n", "\r\n", ";;\n;\n"])
def test_empty_file_is_refused(text: str, breakfast: BadgeDefinition) -> None:
    assert refusal_code(text, breakfast) == "attendance.empty"


@pytest.mark.parametrize("text", [
    "nom;prénom\nDupont;Marie\n",            # no e-mail column
    "courriel\nmarie@example.org\n",         # no name column
    "Marie Dupont;marie@example.org\n",      # no header row at all
])
def test_header_missing_a_required_column_is_refused(text: str,
                                                     breakfast: BadgeDefinition) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_attendance(text, breakfast)
    assert refused.value.code == "attendance.bad_header"
    assert "« nom » et « courriel »" in refused.value.message_fr


def test_binary_file_is_refused(breakfast: BadgeDefinition) -> None:
    assert refusal_code("nom;courriel\n\x00\x01\x02", breakfast) == "attendance.not_csv"


def test_five_thousand_lines_are_accepted(breakfast: BadgeDefinition) -> None:
    text = "nom;courriel\n" + "".join(f"P{i};p{i}@example.org\n" for i in range(MAX_ROWS))
    assert MAX_ROWS == 5_000
    assert len(read_attendance(text, breakfast).rows) == 5_000


def test_five_thousand_and_one_lines_are_refused(breakfast: BadgeDefinition) -> None:
    text = "nom;courriel\n" + "".join(f"P{i};p{i}@example.org\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(InvalidInput) as refused:
        read_attendance(text, breakfast)
    assert refused.value.code == "attendance.too_many"
    assert "5000" in refused.value.message_fr


def test_a_file_larger_than_two_megabytes_is_refused_before_decoding() -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_csv_bytes(b"nom;courriel\n" + b"x" * 2_000_001)
    assert refused.value.code == "attendance.too_large"

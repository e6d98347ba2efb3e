"""Attendance lists saved as a workbook (.xlsx): the first sheet read as CSV text, one line per
row, with the size caps of any upload and a cap on the uncompressed size (a small zip can
inflate to gigabytes)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from issuer.errors import InvalidInput
from issuer.workspace import attendance as attendance_lists
from issuer.workspace.attendance import MAX_ROWS

MAX_XLSX_UNCOMPRESSED_BYTES = 50_000_000


def xlsx_as_csv(data: bytes) -> str:
    """The first sheet of a workbook as CSV text, one line per spreadsheet row (so the line
    numbers of the problems are the row numbers the coordinator sees)."""
    from openpyxl import load_workbook  # openpyxl parses with defusedxml when it is installed

    unreadable = InvalidInput(
        "Classeur illisible : enregistrez la liste au format .xlsx ou .csv.",
        "Unreadable workbook: save the list as .xlsx or .csv.", code="attendance.bad_xlsx")
    if len(data) > attendance_lists.MAX_BYTES:
        raise InvalidInput("Fichier trop volumineux (2 Mo au plus).",
                           "File too large (2 MB at most).", code="attendance.too_large")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # A small zip can inflate to gigabytes: refuse before parsing anything.
            if sum(item.file_size for item in archive.infolist()) > MAX_XLSX_UNCOMPRESSED_BYTES:
                raise InvalidInput("Classeur trop volumineux une fois décompressé.",
                                   "Workbook too large once uncompressed.",
                                   code="attendance.too_large")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InvalidInput:
        raise
    except Exception as error:  # any parsing failure means the same to a person
        raise unreadable from error
    try:
        sheet = workbook.worksheets[0]
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
        for count, values in enumerate(sheet.iter_rows(values_only=True, max_col=20)):
            if count > MAX_ROWS + 1:
                break  # read_attendance reports "too many lines"
            writer.writerow([_cell_text(value) for value in values])
        return buffer.getvalue()
    except Exception as error:
        raise unreadable from error
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    # One cell, one line: a line break inside a cell would shift the line numbers.
    return " ".join(str(value).split())

"""CSV for German Excel, shared by every export (audit trail, insights): UTF-8 with BOM, ";" between
cells, CRLF line ends, and no cell Excel or LibreOffice would run as a formula (CSV injection)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response, stream_with_context

# A cell starting with one of these is a formula to Excel and LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value) -> str:
    """A CSV cell Excel shows as text: a leading =, +, -, @ (or tab/CR) gets an apostrophe in front."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_lines(header: Iterable, rows: Iterable[Iterable], batch: int = 500) -> Iterator[str]:
    """The header and rows as CSV text, a chunk of `batch` rows at a time (the first chunk starts with the BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([safe_cell(name) for name in header])
    yield BOM + flush()
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(cell) for cell in row])
        if count % batch == 0:
            yield flush()
    yield flush()


def csv_response(lines: Iterator[str], filename: str) -> Response:
    """Stream CSV lines as a download named `filename`."""
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response

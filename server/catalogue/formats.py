"""Reading a site's catalogue file into plain rows: CSV, Excel (.xlsx), JSON and Word (.docx), one module each
(``from_csv``, ``from_xlsx``, ``from_json``, ``from_docx``); this one picks the reader.

Pure functions of bytes: nothing is written to disk, nothing touches the network or the database. Every reader
returns a ``Sheet``: the column headers and one ``dict`` of text per row, with where each row came from (for
people: "row 7", "table 2, row 4", "item 3"). Deciding what the columns mean is ``mapping``'s job.

Refusals raise ``CatalogueFileError`` with a stable ``code`` and a message that says what to do. Whatever a file
holds, reading it is bounded: its size, the rows and columns read, the size of what a zip unpacks to. The
server runs the readers in a child process with hard limits all the same (``server.untrusted``).
"""

from __future__ import annotations

from .from_csv import parse_csv
from .from_docx import parse_docx
from .from_json import parse_json
from .from_xlsx import parse_xlsx
from .office_zip import zip_names
from .sheet import (  # noqa: F401  (the names callers know this module by)
    FORMULA_STARTS,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNZIPPED,
    MAX_XML_BYTES,
    SECTION_HEADING,
    CatalogueFileError,
    Sheet,
    column_letter,
    escape_cell,
    unescape_cell,
)

FORMATS = ("csv", "xlsx", "json", "docx")
FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel workbook (.xlsx)", "json": "JSON", "docx": "Word document (.docx)"}


# --- which format -----------------------------------------------------------------------------------------

_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json", ".docx": "docx"}
_REFUSED_EXTENSIONS = {
    ".xlsm": ("macros", "This Excel file can hold macros (.xlsm). Save it as an Excel Workbook (.xlsx) and try again."),
    ".xltm": ("macros", "This Excel template can hold macros (.xltm). Save it as an Excel Workbook (.xlsx) and try again."),
    ".xlsb": ("unsupported_type", "Binary Excel files (.xlsb) can't be read. Save it as an Excel Workbook (.xlsx)."),
    ".docm": ("macros", "This Word file can hold macros (.docm). Save it as a Word Document (.docx) and try again."),
    ".dotm": ("macros", "This Word template can hold macros (.dotm). Save it as a Word Document (.docx) and try again."),
    ".xls": ("unsupported_type", "This is the old Excel format (.xls). Save it as an Excel Workbook (.xlsx) or as CSV UTF-8."),
    ".doc": ("unsupported_type", "This is the old Word format (.doc). Save it as a Word Document (.docx)."),
    ".ods": ("unsupported_type", "OpenDocument spreadsheets (.ods) can't be read. Save it as .xlsx or CSV."),
    ".odt": ("unsupported_type", "OpenDocument text (.odt) can't be read. Save it as a Word Document (.docx)."),
    ".pdf": ("unsupported_type", "PDF files can't be read. Use the Word or Excel copy of your Assessment Tool."),
}
SUPPORTED_HINT = "Use a CSV (UTF-8), Excel (.xlsx), JSON or Word (.docx) file."


def _extension(filename: str) -> str:
    name = (filename or "").strip().lower()
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""


def detect_format(filename: str, data: bytes, declared: str | None = None) -> str:
    """The format to read ``data`` as, from its name (or ``declared``) checked against its content."""
    ext = _extension(filename)
    if ext in _REFUSED_EXTENSIONS:
        raise CatalogueFileError(*_REFUSED_EXTENSIONS[ext])
    is_zip = data[:4] == b"PK\x03\x04"
    is_ole = data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files, and password-protected new ones
    wanted = declared or _EXTENSIONS.get(ext)
    if declared is not None and declared not in FORMATS:
        raise CatalogueFileError("unsupported_type", f"Unknown format {declared[:20]!r}. {SUPPORTED_HINT}")
    if ext and wanted is None:
        raise CatalogueFileError("unsupported_type", f"Files ending {ext[:12]} can't be imported. {SUPPORTED_HINT}")
    if is_ole:
        raise CatalogueFileError(
            "unsupported_type",
            "This is an old-style Office file, or one protected with a password. Remove the password and save it "
            "as .xlsx or .docx, then try again.",
        )
    if wanted in ("xlsx", "docx"):
        if not is_zip:
            raise CatalogueFileError(
                "broken_file", f"This file is not a real {FORMAT_NAMES[wanted]}: it may be damaged or renamed."
            )
        return wanted
    if wanted in ("csv", "json"):
        if is_zip:
            raise CatalogueFileError(
                "broken_file",
                f"This file is named as {FORMAT_NAMES[wanted]} but is an Office document. Upload the .xlsx or "
                ".docx file itself, or save it as CSV UTF-8.",
            )
        return wanted
    # No name to go by: look inside.
    if is_zip:
        names = zip_names(data)
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise CatalogueFileError("unsupported_type", f"This zip file is not a Word or Excel document. {SUPPORTED_HINT}")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if head in (b"{", b"[") else "csv"


def read_file(filename: str, data: bytes, declared: str | None = None) -> Sheet:
    """Check the size, pick the format and parse."""
    check_size(len(data))
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise CatalogueFileError("empty", "The file is empty.")
    kind = detect_format(filename, data, declared)
    return PARSERS[kind](data)


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise CatalogueFileError(
            "too_large",
            f"The file is {size / 1048576:.1f} MiB; the most accepted is {MAX_BYTES // 1048576} MiB. Remove pictures "
            "or other sheets, or save just the principles as CSV.",
        )


PARSERS = {"csv": parse_csv, "xlsx": parse_xlsx, "json": parse_json, "docx": parse_docx}

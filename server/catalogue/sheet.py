"""What every catalogue reader gives (a ``Sheet``), how it refuses a file (``CatalogueFileError``), the bounds
every reader keeps to, and the helpers they share: column letters, headings, cell checks, the heading row."""

from __future__ import annotations

import resource
from dataclasses import dataclass, field

from ..text import clean_text

MAX_BYTES = 2 * 1024 * 1024  # the largest file accepted
MAX_ROWS = 500  # data rows read from a file (a THRIVE Assessment Tool has 20–30 principles)
MAX_COLUMNS = 40
MAX_CELL_CHARS = 20_000  # any one cell; the fields themselves are bounded far lower (mapping)
MAX_UNZIPPED = 40 * 1024 * 1024  # what an .xlsx or .docx may unpack to (zip bombs)
MAX_ZIP_MEMBERS = 3000
MAX_TABLES = 200  # Word tables looked at
MAX_XML_BYTES = 8 * 1024 * 1024  # the XML an .xlsx or .docx holds, all parts together (pictures aside)

SECTION_HEADING = "Section heading"  # the column a Word import adds: the heading above each table

# Cell text that a spreadsheet would run as a formula. Exports put a "'" before such text and imports take it
# off again, so text that starts with one of these survives a round trip without ever becoming a formula.
FORMULA_STARTS = ("=", "+", "-", "@")


class CatalogueFileError(Exception):
    """A file that cannot be imported at all. ``code`` is stable; ``message`` is for the facilitator."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Sheet:
    format: str
    headers: list[str]
    rows: list[dict[str, str]]
    labels: list[str]  # where each row is, in the file's own terms
    notes: list[str] = field(default_factory=list)  # what the reader skipped or assumed, for the preview


# --- shared helpers ---------------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def unescape_cell(text: str) -> str:
    """Take off the "'" an export puts before text that a spreadsheet would run as a formula."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def escape_cell(text: str) -> str:
    """The export side of ``unescape_cell`` (CSV and Excel): never let a cell start like a formula."""
    if text and text[0] in FORMULA_STARTS:
        return "'" + text
    if text and text[0] == "'" and len(text) > 1 and text[1] in FORMULA_STARTS:
        return "'" + text  # so that unescaping gives the text back exactly
    return text


def clean_header(raw: str) -> str:
    return " ".join(str(raw).split())[:100]


def unique_headers(raw: list[str]) -> list[str]:
    """Names for the columns: blank ones become "Column C", repeated ones "Description (2)"."""
    headers: list[str] = []
    seen: set[str] = set()
    for i, value in enumerate(raw):
        name = clean_header(value) or f"Column {column_letter(i)}"
        candidate, n = name, 2
        while candidate.casefold() in seen:
            candidate = f"{name} ({n})"
            n += 1
        seen.add(candidate.casefold())
        headers.append(candidate)
    return headers


def check_cell(text: str, where: str) -> str:
    """The cell's text, cleaned (``server.text``); refused when far too long, or holding a NUL (damage)."""
    if len(text) > MAX_CELL_CHARS:
        raise CatalogueFileError("too_long", f"{where} holds {len(text)} characters, far more than any field takes.")
    if "\x00" in text:
        raise CatalogueFileError("broken_file", f"{where} holds a NUL character: the file looks damaged.")
    return clean_text(text)


HEADER_SEARCH_ROWS = 10  # a title or a note may sit above the column headings


def header_score(cells: list[str]) -> int:
    """How much a row looks like the column headings of principles: the fields it names (0 if neither a
    name nor a statement column is among them)."""
    from .mapping import guess_mapping

    guessed = {f for f, h in guess_mapping(unique_headers(cells)).items() if h}
    return len(guessed) if guessed & {"name", "statement"} else 0


def table(format_: str, grid: list[tuple[int, list[str]]], label: str, notes: list[str] | None = None) -> Sheet:
    """A sheet from (row number, cells) pairs. The headers are the first of the first rows that names at least
    two fields (a name or statement among them), else the first non-empty row; rows above it are left out."""
    grid = [(n, cells) for n, cells in grid if any(c.strip() for c in cells)]
    if not grid:
        raise CatalogueFileError("empty", "The file has no rows: nothing to import.")
    notes = list(notes or [])
    start = next((i for i, (_, cells) in enumerate(grid[:HEADER_SEARCH_ROWS]) if header_score(cells) >= 2), 0)
    if start:
        notes.append(
            f"The column headings were found in row {grid[start][0]}; the "
            f"{'row' if start == 1 else f'{start} rows'} above {'it was' if start == 1 else 'them were'} left out."
        )
        grid = grid[start:]
    width = max(len(cells) for _, cells in grid)
    if width > MAX_COLUMNS:
        raise CatalogueFileError("too_many_columns", f"The file has {width} columns; at most {MAX_COLUMNS} are read.")
    if len(grid) - 1 > MAX_ROWS:
        raise CatalogueFileError(
            "too_many_rows", f"The file has {len(grid) - 1} rows; at most {MAX_ROWS} are read. Keep only the principles."
        )
    header_cells = grid[0][1] + [""] * (width - len(grid[0][1]))
    headers = unique_headers(header_cells)
    rows, labels = [], []
    for number, cells in grid[1:]:
        cells = cells + [""] * (width - len(cells))
        rows.append({h: cells[i].strip() for i, h in enumerate(headers)})
        labels.append(label.format(n=number))
    if not rows:
        raise CatalogueFileError("empty", "The file has a header row but no principles under it.")
    return Sheet(format_, headers, rows, labels, notes)




def out_of_memory() -> bool:
    """Whether this process has used most of the address space it is allowed (a parser child's limit,
    ``server.untrusted``). lxml reports running out as a parse error ("unknown error"); the file's XML was
    already found well-formed (``office_zip``), so a parse error then means memory, not damage."""
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit == resource.RLIM_INFINITY:
        return False
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return peak > limit / 2

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


MAX_SUB_HEADING_CHARS = 40  # a second header row holds short labels ("1", "Not yet met"), not principles
MAX_HEADER_ROWS = 3  # a header row and the rows under it that complete it


def _padded(cells: list[str], width: int) -> list[str]:
    return [c.strip() for c in cells] + [""] * (width - len(cells))


def combine_headers(top: list[str], sub: list[str]) -> list[str] | None:
    """Two header rows read as one ("Descriptors" merged over "1" … "4" -> "Descriptors 1" … "Descriptors 4"), or
    None when ``sub`` is not part of the header. ``top`` repeats a merged heading over every column it covers.

    ``sub`` completes the header only when its cells are short, each sits under an empty heading, under a heading
    over several columns (merged, or followed by blank headings), or repeats the heading above (a heading merged down both rows), and the two read
    together name at least as many fields: a row of principles under distinct headings never does."""
    width = max(len(top), len(sub))
    top, sub = _padded(top, width), _padded(sub, width)
    if not any(sub) or any(len(b) > MAX_SUB_HEADING_CHARS for b in sub):
        return None
    # A heading over several columns: merged (repeated in ``top``), or followed by blank headings ("Descriptors,,,").
    spanning = {i for i, a in enumerate(top) if a and (top.count(a) > 1 or i + 1 < width and not top[i + 1] and sub[i + 1])}
    if any(b and b != a and a and i not in spanning for i, (a, b) in enumerate(zip(top, sub, strict=True))):
        return None
    combined = [a if not b or b == a else (b if not a else f"{a} {b}") for a, b in zip(top, sub, strict=True)]
    if combined != top and header_score(combined) < header_score(top):
        return None
    return combined


MAX_HEADING_CHARS = 150  # a longer text is running text or a principle, not a heading


def names_level(text: str) -> str | None:
    """The one level ("macro", "meso", "micro") a text names, else None."""
    from .mapping import parse_level

    level, why = parse_level(text)
    return level if why is None else None


def single_text(cells: list[str]) -> str:
    distinct = {c for c in cells if c}
    return " ".join(distinct.pop().split()) if len(distinct) == 1 else ""


def section_row(cells: list[str], filled: list[str]) -> str:
    """A row between principles that heads the rows under it: its text ("Meso level"), else "". Such a row has one
    text, merged across the table (``filled`` repeats a merged cell over each column), or names a level."""
    text = single_text(filled)
    if not text or len(text) > MAX_HEADING_CHARS or len(filled) < 2:
        return ""
    merged_across = sum(1 for c in filled if c) > 1
    return text if merged_across or names_level(text) else ""


def with_sections(headers: list[str], rows: list[dict[str, str]], sections: list[str], notes: list[str],
                  where: str) -> list[str]:
    """Give each row the heading it sits under (``sections``, one per row: a table's heading, a level row above
    it) in a "Section heading" column, which can say the level; where some rows have a Level column and others
    only a heading, the heading fills the empty levels. Changes ``rows`` and ``notes``; gives the headers."""
    if not any(sections) or SECTION_HEADING in headers:
        return headers
    if len(headers) + 1 > MAX_COLUMNS:
        raise CatalogueFileError("too_many_columns", f"The file uses {len(headers) + 1} columns; at most {MAX_COLUMNS}.")
    from .mapping import guess_field

    level_column = next((h for h in headers if guess_field(h) == "level"), None)
    filled = 0
    for row, section in zip(rows, sections, strict=True):
        row[SECTION_HEADING] = section
        level = names_level(section)
        if level_column and level and not row.get(level_column, "").strip():
            row[level_column] = level.capitalize()
            filled += 1
    if filled:
        notes.append(f"{filled} {'row has' if filled == 1 else 'rows have'} no level in the “{level_column}” column: "
                     f"the level was taken from the heading {where}.")
    return [*headers, SECTION_HEADING]


def header_rows_note(rows: str, top: list[str], header: list[str]) -> str:
    changed = [h for h, a in zip(header, _padded(top, len(header)), strict=True) if h != a]
    example = f" (“{changed[0][:40]}”, …)" if changed else ""
    return f"{rows} were read together as the column headings{example}."


def find_header(filled: list[list[str]], search: int = HEADER_SEARCH_ROWS) -> tuple[int, int, list[str]] | None:
    """(index of the header row, how many rows the header takes, its cells) among the first ``search`` rows: the
    first row naming at least two fields (a name or statement among them), with the rows under it that complete
    it (``combine_headers``); None when no row looks like headings."""
    start = next((i for i, cells in enumerate(filled[:search]) if header_score(cells) >= 2), None)
    if start is None:
        return None
    header, taken = list(filled[start]), 1
    while taken < MAX_HEADER_ROWS and start + taken < len(filled):
        combined = combine_headers(header, filled[start + taken])
        if combined is None:
            break
        header, taken = combined, taken + 1
    return start, taken, header


def table(
    format_: str,
    grid: list[tuple[int, list[str]]],
    label: str,
    notes: list[str] | None = None,
    filled: dict[int, list[str]] | None = None,
) -> Sheet:
    """A sheet from (row number, cells) pairs. The headers are the first of the first rows that names at least
    two fields (a name or statement among them), with a second header row under it if it completes it
    ("Descriptors" over "1" … "4"), else the first non-empty row; rows above it are left out. ``filled`` gives,
    by row number, the cells with merged headings repeated over every column they cover."""
    grid = [(n, cells) for n, cells in grid if any(c.strip() for c in cells)]
    if not grid:
        raise CatalogueFileError("empty", "The file has no rows: nothing to import.")
    notes = list(notes or [])
    filled = filled or {}
    found = find_header([filled.get(n, cells) for n, cells in grid])
    start, taken, header_cells = found if found else (0, 1, grid[0][1])
    if start:
        notes.append(
            f"The column headings were found in row {grid[start][0]}; the "
            f"{'row' if start == 1 else f'{start} rows'} above {'it was' if start == 1 else 'them were'} left out."
        )
    if taken > 1:
        notes.append(header_rows_note(f"Rows {grid[start][0]}–{grid[start + taken - 1][0]}",
                                      filled.get(grid[start][0], grid[start][1]), header_cells))
    grid = [grid[start]] + grid[start + taken:]
    width = max(len(header_cells), *(len(cells) for _, cells in grid))
    if width > MAX_COLUMNS:
        raise CatalogueFileError("too_many_columns", f"The file has {width} columns; at most {MAX_COLUMNS} are read.")
    if len(grid) - 1 > MAX_ROWS:
        raise CatalogueFileError(
            "too_many_rows", f"The file has {len(grid) - 1} rows; at most {MAX_ROWS} are read. Keep only the principles."
        )
    headers = unique_headers(list(header_cells) + [""] * (width - len(header_cells)))
    rows, labels, sections, section = [], [], [], ""
    for number, cells in grid[1:]:
        heading = section_row(cells, filled.get(number, cells + [""] * (width - len(cells))))
        if heading:  # "Meso level", merged across: it heads the rows under it
            section = heading
            continue
        cells = cells + [""] * (width - len(cells))
        rows.append({h: cells[i].strip() for i, h in enumerate(headers)})
        labels.append(label.format(n=number))
        sections.append(section)
    if not rows:
        raise CatalogueFileError("empty", "The file has a header row but no principles under it.")
    headers = with_sections(headers, rows, sections, notes, "row above them")
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

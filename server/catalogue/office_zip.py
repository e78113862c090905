"""The checks an .xlsx or .docx passes before a parser opens it: a real zip, not a zip bomb, no macros, and XML
without a DOCTYPE, entities or external references, whatever its encoding or wherever in the part they hide.

Every XML part is read once to its end by defusedxml's expat parser (streamed, so it holds no tree), which
refuses those features itself: no guessing from the first bytes.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from .sheet import MAX_UNZIPPED, MAX_XML_BYTES, MAX_ZIP_MEMBERS, CatalogueFileError

FORMAT_NAMES = {"xlsx": "Excel workbook (.xlsx)", "docx": "Word document (.docx)"}
CHUNK = 64 * 1024


def zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return set(zf.namelist())
    except (zipfile.BadZipFile, ValueError):
        return set()


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def check_zip(data: bytes, kind: str) -> None:
    """Refuse damaged archives, zip bombs, macros, and XML with a DOCTYPE, entities or external references."""
    name = FORMAT_NAMES[kind]
    damaged = CatalogueFileError("broken_file", f"This {name} is damaged and can't be opened.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise damaged from None
    with zf:
        members = zf.infolist()
        xml_size = sum(m.file_size for m in members if _is_xml(m.filename))
        if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED:
            raise CatalogueFileError("too_large", f"This {name} unpacks to far more than a catalogue needs.")
        if xml_size > MAX_XML_BYTES:
            raise CatalogueFileError(
                "too_large",
                f"This {name} holds {xml_size / 1048576:.0f} MiB of text and layout, far more than a catalogue "
                f"needs (at most {MAX_XML_BYTES // 1048576} MiB). Save just the table of principles and try again.",
            )
        for member in members:
            lower = member.filename.lower()
            if lower.endswith("vbaproject.bin") or lower.endswith(".bin") and "vba" in lower:
                raise CatalogueFileError(
                    "macros", f"This {name} contains macros. Save a copy without macros (as .{kind}) and import that."
                )
        try:
            if "[Content_Types].xml" in zf.namelist():
                types = zf.read("[Content_Types].xml")
                if b"macroEnabled" in types or b"vbaProject" in types:
                    raise CatalogueFileError(
                        "macros", f"This {name} is macro-enabled. Save a copy as a plain .{kind} and import that."
                    )
            for member in members:
                if _is_xml(member.filename):
                    with zf.open(member) as stream:
                        _scan_xml(stream, name)
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError):
            raise damaged from None


def _scan_xml(stream, name: str) -> None:
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(ContentHandler())
    try:
        while chunk := stream.read(CHUNK):
            parser.feed(chunk)
        parser.close()
    except DefusedXmlException:
        raise CatalogueFileError(
            "unsafe_xml",
            f"This {name} holds XML features that aren't accepted (a DOCTYPE, entities or external references). "
            "Open it in Word or Excel, save it again as a normal document, and import that.",
        ) from None
    except SAXException:
        raise CatalogueFileError("broken_file", f"This {name} is damaged and can't be opened.") from None


# --- merged cells of a worksheet (openpyxl's read-only mode doesn't give them) ------------------------------

MAX_MERGED_RANGES = 2000  # merged ranges read from one sheet; a real Assessment Tool has a few dozen


class _Collect(ContentHandler):
    """Keeps the attributes of the elements named ``local`` (any namespace prefix), at most ``limit`` of them."""

    def __init__(self, local: str, limit: int):
        super().__init__()
        self.local, self.limit, self.found = local, limit, []

    def startElement(self, name, attrs):  # noqa: N802 (the SAX interface's name)
        if name.rpartition(":")[2] == self.local and len(self.found) < self.limit:
            self.found.append({k.rpartition(":")[2]: v[:300] for k, v in list(attrs.items())[:10]})


def _collect(zf: zipfile.ZipFile, part: str, local: str, limit: int) -> list[dict[str, str]]:
    handler = _Collect(local, limit)
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(handler)
    try:
        with zf.open(part) as stream:
            while chunk := stream.read(CHUNK):
                parser.feed(chunk)
            parser.close()
    except (KeyError, DefusedXmlException, SAXException, zipfile.BadZipFile, RuntimeError, OSError, EOFError):
        return []  # the part was checked by check_zip already; a missing one just has no merged cells
    return handler.found


def _join(directory: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [p for p in directory.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


MAX_COLUMN_RANGES = 200  # <col> elements read (widths and hidden columns come in ranges)


def sheet_layout(data: bytes, sheet_title: str) -> tuple[list[str], list[tuple[int, int]]]:
    """What openpyxl's read-only mode doesn't give, for the worksheet called ``sheet_title``: its merged ranges
    ("A1:J1", "B4:B11"; at most MAX_MERGED_RANGES) and its hidden columns ((first, last), 1-based), read with the
    same streamed defusedxml parser as ``check_zip`` (which the file has already passed): the workbook's sheet
    list, its relationships, then the sheet's ``<mergeCell ref=…>`` and ``<col hidden=…>`` elements."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        return [], []
    with zf:
        names = set(zf.namelist())
        main = next((_join("", r.get("Target", "")) for r in _collect(zf, "_rels/.rels", "Relationship", 50)
                     if r.get("Type", "").endswith("/officeDocument")), "xl/workbook.xml")
        directory, _, base = main.rpartition("/")
        sheet_id = next((s.get("id", "") for s in _collect(zf, main, "sheet", 1000) if s.get("name") == sheet_title), "")
        rels = _collect(zf, f"{directory}/_rels/{base}.rels" if directory else f"_rels/{base}.rels", "Relationship", 2000)
        target = next((r.get("Target", "") for r in rels if sheet_id and r.get("Id") == sheet_id), "")
        part = _join(directory, target) if target else ""
        if part not in names:
            return [], []
        merged = [m["ref"] for m in _collect(zf, part, "mergeCell", MAX_MERGED_RANGES) if m.get("ref")]
        hidden = []
        for col in _collect(zf, part, "col", MAX_COLUMN_RANGES):
            first, last = col.get("min", ""), col.get("max", "")
            if col.get("hidden") in ("1", "true") and first.isdigit() and last.isdigit() and len(first + last) < 12:
                hidden.append((int(first), int(last)))
        return merged, hidden

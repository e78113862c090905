"""Hostile files, made by the tests (issue 13): each is small, and each once cost the server minutes, gigabytes
or its life. Built from the synthetic catalogues (tests/catalogue/synthetic.py), so nothing here is real text."""

from __future__ import annotations

import io
import json
import zipfile

from server.catalogue.sheet import MAX_UNZIPPED, MAX_XML_BYTES
from tests.catalogue import synthetic as syn

ITEMS = syn.principles(6)
W_NS = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def span_bomb_docx(span: int = 2_147_483_647) -> bytes:
    """One table cell spanning two billion grid columns: python-docx made an entry per column (~16 GiB)."""
    return syn.replace_zip_member(
        syn.docx_per_level(ITEMS), "word/document.xml",
        lambda xml: xml.replace(b"<w:tc><w:tcPr>", f'<w:tc><w:tcPr><w:gridSpan w:val="{span}"/>'.encode(), 1),
    )


def paragraph_flood_docx(xml_bytes: int = MAX_XML_BYTES - 16 * 1024) -> bytes:
    """A document whose XML comes to just under a limit, in tiny paragraphs: under the old 40 MiB limit, a
    minute of CPU and ~700 MB to parse once."""
    paragraph = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    base = syn.docx_per_level(ITEMS)
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        other_xml = sum(m.file_size for m in zf.infolist() if m.filename.endswith((".xml", ".rels")))

    def flood(xml: bytes) -> bytes:
        head, tail = xml.split(b"<w:body>", 1)
        room = xml_bytes - other_xml
        return head + b"<w:body>" + paragraph * (room // len(paragraph)) + tail

    return syn.replace_zip_member(base, "word/document.xml", flood)


LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 8)
    )
    + b"]>"
)


def _sheet_with(prefix: bytes, encoding: str = "utf-8") -> bytes:
    """An .xlsx whose sheet of principles declares entities (a billion laughs) that a cell then uses."""

    def poison(xml: bytes) -> bytes:
        text = xml.decode("utf-8")
        body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
        body = body.replace("<t>Principle</t>", "<t>&lol7;</t>", 1)
        assert "&lol7;" in body
        head = f'<?xml version="1.0" encoding="{encoding}"?>'
        return (head + prefix.decode() + body).encode(encoding)

    return syn.replace_zip_member(syn.site_xlsx(ITEMS), "xl/worksheets/sheet2.xml", poison)


def laughs_after_padding_xlsx() -> bytes:
    """The DOCTYPE after 5,000 spaces: past the 4 KB the old check looked at."""
    return _sheet_with(b" " * 5000 + LAUGHS)


def laughs_in_utf16_xlsx() -> bytes:
    """The XML in UTF-16: the old check looked for the bytes of "<!DOCTYPE" in UTF-8."""
    return _sheet_with(LAUGHS, encoding="utf-16")


def zip_bomb_docx() -> bytes:
    """A member that unpacks past the limit (the old 40 MiB) from a few kilobytes."""
    return syn.with_zip_member(syn.docx_per_level(ITEMS), "word/media/padding.bin", b"\0" * (MAX_UNZIPPED + 1))


def deep_json(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def json_bytes(value) -> bytes:
    return json.dumps(value).encode()


ALL_FILES = {
    "span_bomb.docx": span_bomb_docx,
    "paragraph_flood.docx": paragraph_flood_docx,
    "laughs_after_padding.xlsx": laughs_after_padding_xlsx,
    "laughs_in_utf16.xlsx": laughs_in_utf16_xlsx,
    "zip_bomb.docx": zip_bomb_docx,
    "deep.json": deep_json,
}


def old_paragraph_flood_docx() -> bytes:
    """The flood of finding 2 as it was sent: XML just under the old 40 MiB limit (~150 KB zipped)."""
    return paragraph_flood_docx(MAX_UNZIPPED - 16 * 1024)


# --- workshop imports (finding 6): each takes a real export (a dict) and spoils it one way -------------------


def _at(path: str, value):
    """The export as bytes with ``value`` at ``path`` ("rankings.0.items")."""

    def spoil(export: dict) -> bytes:
        data = json.loads(json.dumps(export))
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value
        return json_bytes(data)

    return spoil


def _bare(path: str, literal: str):
    """The export with a bare JSON number (``Infinity``, ``NaN``, ``1e999``) at ``path``: json.dumps does not
    write these from a finite float, so a marker is replaced in the text."""
    marker = "__number_marker__"

    def spoil(export: dict) -> bytes:
        return _at(path, marker)(export).replace(f'"{marker}"'.encode(), literal.encode())

    return spoil


HOSTILE_IMPORTS = {
    # name: (export -> the hostile body, the field the refusal names)
    "ranking_of_48": (_at("rankings.0.items", [f"p-{i}" for i in range(48)]), "rankings.0.items"),
    "created_at_1e999": (_bare("workshop.created_at", "1e999"), "workshop.created_at"),
    "megabyte_statement": (_at("principles.0.statement", "x" * (1024 * 1024)), "principles.0.statement"),
    "descriptors_dict": (
        _at("principles.0.descriptors", {"1": "a", "2": "b", "3": "c", "4": "d"}),
        "principles.0.descriptors",
    ),
    "descriptors_1000": (_at("principles.0.descriptors", ["d"] * 1000), "principles.0.descriptors"),
    "agreed_score_abc": (_at("principles.0.agreed_score", "abc"), "principles.0.agreed_score"),
    "revision_2_63": (_at("rankings.0.revision", 2**63), "rankings.0.revision"),
    "confirmed_items_dicts": (
        _at("workshop.confirmed", {"items": [{"principle_id": "needs-led"}] * 5}),
        "workshop.confirmed.items.0",
    ),
    "30_tables_of_1000": (
        _at("tables", [{"name": f"Table {i + 1}", "participants": 1000} for i in range(30)]),
        "tables.0.participants",
    ),
}
# Not JSON as the server reads it (bare Infinity and NaN, nesting past any sense): refused as invalid_json.
NOT_JSON_IMPORTS = {
    "created_at_infinity": _bare("workshop.created_at", "Infinity"),
    "created_at_nan": _bare("workshop.created_at", "NaN"),
    "deep": lambda export: deep_json(),
}


# --- everything at once, for the live tests and bench/attack.py --------------------------------------------

CATALOGUE_FILES = {**ALL_FILES, "old_paragraph_flood.docx": old_paragraph_flood_docx}
# What a file may be answered with besides a refusal: the flood at today's limit is a document the server can
# read (in a child, within its limits).
MAY_BE_READ = {"paragraph_flood.docx"}


def every_attack(export: dict) -> list[tuple[str, str, dict]]:
    """(name, path, httpx request arguments) for every hostile upload and import, the imports made from a real
    ``export`` (``GET /api/workshops/{id}/report.json``)."""
    json_body = {"content-type": "application/json"}
    made = [
        (name, "/api/catalogue/preview", {"files": {"file": (name, make())}})
        for name, make in CATALOGUE_FILES.items()
    ]
    for name, (spoil, _field) in HOSTILE_IMPORTS.items():
        made.append((f"import:{name}", "/api/workshops/import", {"content": spoil(export), "headers": json_body}))
    for name, spoil in NOT_JSON_IMPORTS.items():
        made.append((f"import:{name}", "/api/workshops/import", {"content": spoil(export), "headers": json_body}))
    return made


def largest_export(export: dict, cell_chars: int = 400) -> bytes:
    """An export every field of which the import accepts, at its caps: 60 principles with their longest texts,
    30 tables of 100 places, every table's ranking, a worksheet per principle and table (1,860) with
    ``cell_chars`` in each cell, 200 plan actions (~5.5 MB with 400 characters a cell)."""
    data = json.loads(json.dumps(export))
    data.pop("report", None)
    ids = [f"p{i}" for i in range(60)]
    data["principles"] = [
        {"principle_id": pid, "name": f"Principle {i}", "summary": "s" * 500, "level": "macro", "position": i,
         "statement": "S" * 2000, "descriptors": ["d" * 1000] * 4, "notes": "n" * 2000, "key_principles": []}
        for i, pid in enumerate(ids)
    ]
    data["tables"] = [{"name": f"Table {i + 1}", "participants": 100} for i in range(30)]
    data["rankings"] = [{"table": i, "items": ids[:5], "revision": 5} for i in range(30)]
    data["workshop"].update(confirmed=None, current_segment=None, display_table=None)
    data["agenda"] = []
    cells = ("ideal", "in_place", "in_development", "gaps", "training", "recommendations")
    data["worksheets"] = [
        {"priority_id": pid, "table": table, "text": dict.fromkeys(cells, "w" * cell_chars), "created_at": 1.8e9}
        for pid in ids
        for table in (None, *range(30))
    ]
    data["plan"]["actions"] = [
        {"action": "a" * 500, "owner": "o" * 120, "due": "d" * 40, "created_at": 1.8e9} for _ in range(200)
    ]
    return json_bytes(data)

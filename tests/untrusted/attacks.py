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

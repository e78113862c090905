"""Reading catalogue files: every format's parser, and every refusal (server/catalogue/formats.py).

All catalogues are synthetic, made here (tests/catalogue/synthetic.py).
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from server.catalogue import formats, mapping, writers
from server.catalogue.formats import CatalogueFileError, read_file
from tests.catalogue import synthetic as syn

ITEMS = syn.principles(24)


def principles_from(filename: str, data: bytes) -> list[dict]:
    sheet = read_file(filename, data)
    preview = mapping.validate(sheet, mapping.guess_mapping(sheet.headers))
    assert not preview.refused, [(r.label, r.reasons) for r in preview.refused]
    return preview.principles


def refused(filename: str, data: bytes, declared: str | None = None) -> CatalogueFileError:
    with pytest.raises(CatalogueFileError) as caught:
        read_file(filename, data, declared)
    assert caught.value.message
    return caught.value


# --- each format, as sites keep it --------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{}, {"bom": False}, {"delimiter": ";"}, {"delimiter": "\t"}])
def test_csv_in_utf8_with_or_without_bom_and_any_usual_separator(kwargs):
    assert principles_from("tool.csv", syn.site_csv(ITEMS, **kwargs)) == ITEMS


def test_csv_keeps_quoted_line_breaks_and_finds_headings_under_a_title():
    rows = [["Synthetic title, for testing"], [], ["Principle", "Statement", "Score"],
            ["Synthetic principle 1", "Synthetic statement 1,\nover two lines", "3"],
            ["", "", ""], ["Synthetic principle 2", "Synthetic statement 2", ""]]
    sheet = read_file("tool.csv", syn.csv_bytes(rows))
    assert sheet.headers == ["Principle", "Statement", "Score"]
    assert sheet.rows[0]["Statement"] == "Synthetic statement 1,\nover two lines"
    assert sheet.labels == ["row 4", "row 6"]  # the blank row 5 is not a principle
    assert "row 3" in sheet.notes[0]


def test_csv_names_blank_and_repeated_headings():
    sheet = read_file("tool.csv", syn.csv_bytes([["Principle", "", "Notes", "notes"], ["A", "x", "y", "z"]]))
    assert sheet.headers == ["Principle", "Column B", "Notes", "notes (2)"]


def test_xlsx_reads_the_sheet_of_principles_with_numbers_as_text():
    data = syn.site_xlsx(ITEMS, extra_sheets=("Cover", "Charts"))
    sheet = read_file("tool.xlsx", data)
    assert sheet.format == "xlsx" and sheet.rows[0]["Our score"] == "2"
    assert "Assessment" in sheet.notes[0]
    assert principles_from("tool.xlsx", data) == ITEMS


def test_xlsx_prefers_a_sheet_called_principles():
    data = syn.xlsx_bytes([["Principle", "Statement"], ["Synthetic principle 1", "Synthetic statement 1"]],
                          sheet="Principles", extra_sheets=("Other",))
    assert read_file("tool.xlsx", data).rows == [{"Principle": "Synthetic principle 1", "Statement": "Synthetic statement 1"}]


@pytest.mark.parametrize("wrapped", [True, False])
def test_json_list_or_object_spreads_the_descriptions_over_four_columns(wrapped):
    sheet = read_file("tool.json", syn.site_json(ITEMS, wrapped=wrapped))
    assert sheet.headers[4:8] == ["descriptors 1", "descriptors 2", "descriptors 3", "descriptors 4"]
    assert principles_from("tool.json", syn.site_json(ITEMS, wrapped=wrapped)) == ITEMS


def test_docx_tables_per_level_take_the_level_from_the_heading_above():
    data = syn.docx_per_level(ITEMS)
    sheet = read_file("tool.docx", data)
    assert sheet.headers[-1] == formats.SECTION_HEADING
    assert sheet.rows[0][formats.SECTION_HEADING] == "Macro level principles (synthetic)"
    assert sheet.labels[0] == "table 2, row 2" and sheet.labels[-1] == "table 4, row 9"
    assert "Set aside the table after “Synthetic THRIVE Assessment Tool for testing”: it looks like a cover" in "".join(
        sheet.notes)
    guessed = mapping.guess_mapping(sheet.headers)
    assert guessed["level"] == formats.SECTION_HEADING and guessed["notes"] is None  # "What we saw"
    guessed["notes"] = "What we saw"
    got = mapping.validate(sheet, guessed).principles
    assert [{**p, "key_principles": []} for p in ITEMS] == got


def test_docx_with_one_table_per_principle_and_labels_in_the_first_column():
    got = principles_from("tool.docx", syn.docx_label_tables(ITEMS[:6]))
    assert [p["name"] for p in got] == [p["name"] for p in ITEMS[:6]]
    assert got[2]["descriptors"] == ITEMS[2]["descriptors"] and got[2]["level"] == "macro"


def test_docx_merged_cells_are_read_once():
    from docx import Document

    document = Document()
    table = document.add_table(rows=3, cols=3)
    for cell, text in zip(table.rows[0].cells, ["Level", "Principle", "Statement"], strict=True):
        cell.text = text
    table.cell(1, 0).merge(table.cell(2, 0)).text = "Meso"  # the level, merged down
    table.cell(1, 1).text, table.cell(1, 2).text = "Synthetic principle 1", "Synthetic statement 1"
    table.cell(2, 1).merge(table.cell(2, 2)).text = "Synthetic principle 2"  # spans two columns
    out = io.BytesIO()
    document.save(out)
    sheet = read_file("tool.docx", out.getvalue())
    assert sheet.rows == [
        {"Level": "Meso", "Principle": "Synthetic principle 1", "Statement": "Synthetic statement 1"},
        {"Level": "Meso", "Principle": "Synthetic principle 2", "Statement": ""},
    ]


@pytest.mark.parametrize("kind", formats.FORMATS)
def test_templates_and_exports_read_back_to_the_same_principles(kind):
    tricky = [dict(p) for p in ITEMS[:6]]
    tricky[0]["statement"] = "=Synthetic statement that starts like a formula"
    tricky[1]["notes"] = "+44 synthetic note\nwith a second line"
    tricky[2]["name"] = "'Quoted' synthetic principle – ünïcode ✓"
    tricky[3]["summary"] = "@synthetic summary"
    assert principles_from(f"x.{kind}", writers.write(kind, tricky, title="Synthetic", locality="Synthetic")) == tricky
    assert principles_from(f"t.{kind}", writers.template(kind)) == writers.TEMPLATE


def test_exports_never_hold_formulas():
    data = writers.write("xlsx", [{**ITEMS[0], "statement": "=1+1"}])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")
    assert b"'=1+1" in writers.write("csv", [{**ITEMS[0], "statement": "=1+1"}])


# --- which format ------------------------------------------------------------------------------------------


def test_the_format_comes_from_the_name_or_else_the_content():
    assert formats.detect_format("x.CSV", b"a,b") == "csv"
    assert formats.detect_format("", b'  [{"name": "a"}]') == "json"
    assert formats.detect_format("", b"Principle,Statement") == "csv"
    assert formats.detect_format("upload", writers.template("docx")) == "docx"
    assert formats.detect_format("upload", writers.template("xlsx")) == "xlsx"
    assert formats.detect_format("x.txt", b"a,b", declared="json") == "json"


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [
        ("tool.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "unsupported_type"),
        ("tool.doc", b"whatever", "unsupported_type"),
        ("tool.pdf", b"%PDF-1.7", "unsupported_type"),
        ("tool.png", b"\x89PNG", "unsupported_type"),
        ("tool.xlsm", b"PK\x03\x04", "macros"),
        ("tool.docm", b"PK\x03\x04", "macros"),
        ("tool.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1protected", "unsupported_type"),
        ("tool.xlsx", b"Principle,Statement\n", "broken_file"),
        ("tool.csv", writers.template("xlsx"), "broken_file"),
        ("tool.docx", b"PK\x03\x04 not really a zip", "broken_file"),
        ("", b"PK\x03\x04", "unsupported_type"),
        ("tool.csv", b"", "empty"),
        ("tool.csv", b"\xef\xbb\xbf \n\n", "empty"),
    ],
)
def test_files_of_the_wrong_type_or_broken_are_refused(filename, data, code):
    assert refused(filename, data).code == code


def test_a_file_over_the_size_cap_is_refused_before_reading():
    error = refused("tool.csv", b"a" * (formats.MAX_BYTES + 1))
    assert error.code == "too_large" and "2 MiB" in error.message


# --- CSV refusals -----------------------------------------------------------------------------------------


def test_csv_as_excel_saves_it_is_read_as_windows_1252_with_a_note_to_check_pounds_and_quotes():
    items = [{**p, "statement": p["statement"] + " Costs £5 – “synthetic” ‘quotes’ €."} for p in ITEMS[:3]]
    data = syn.site_csv(items, encoding="cp1252", bom=False)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    sheet = read_file("tool.csv", data)
    assert "Windows-1252" in sheet.notes[0] and "£" in sheet.notes[0]
    assert mapping.validate(sheet, mapping.guess_mapping(sheet.headers)).principles == items


def test_csv_with_bytes_windows_1252_lacks_is_read_as_latin_1():
    data = "Principle,Statement\nSynthetic ç,Synthetic £5\n".encode("latin-1") + b"Synthetic \x81,x\n"
    sheet = read_file("tool.csv", data)
    assert "Latin-1" in sheet.notes[0] and sheet.rows[0] == {"Principle": "Synthetic ç", "Statement": "Synthetic £5"}


def test_utf8_csv_has_no_encoding_note_and_utf16_is_refused():
    assert read_file("tool.csv", syn.site_csv(ITEMS[:2], bom=False)).notes == []
    error = refused("tool.csv", "Principle\nSynthetic".encode("utf-16"))
    assert error.code == "bad_encoding" and "UTF-16" in error.message


def test_csv_formulas_broken_quotes_and_nul_bytes_are_refused():
    error = refused("tool.csv", syn.csv_bytes([["Principle", "Score"], ["Synthetic", "=1+2"]]))
    assert error.code == "formula" and "Cell B2" in error.message
    assert refused("tool.csv", b'Principle,Statement\n"Synthetic,"broken" x\n').code == "broken_file"
    assert refused("tool.csv", b"Principle\nSyn\x00thetic\n").code == "broken_file"


def test_csv_with_only_headings_or_too_many_rows_or_columns():
    assert refused("tool.csv", b"Principle,Statement\n").code == "empty"
    rows = [["Principle"]] + [[f"Synthetic {i}"] for i in range(formats.MAX_ROWS + 5)]
    assert refused("tool.csv", syn.csv_bytes(rows)).code == "too_many_rows"
    assert refused("tool.csv", syn.csv_bytes([[f"c{i}" for i in range(45)], ["x"] * 45])).code == "too_many_columns"


# --- Excel refusals ---------------------------------------------------------------------------------------


def test_xlsx_formulas_are_refused_with_the_cell():
    error = refused("tool.xlsx", syn.site_xlsx(ITEMS[:3], formula_at="I3"))
    assert error.code == "formula" and "I3" in error.message


def test_xlsx_with_macros_inside_is_refused_whatever_its_name():
    data = syn.with_zip_member(syn.site_xlsx(ITEMS[:2]), "xl/vbaProject.bin")
    assert refused("tool.xlsx", data).code == "macros"
    data = syn.replace_zip_member(
        syn.site_xlsx(ITEMS[:2]), "[Content_Types].xml",
        lambda xml: xml.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml"),
    )
    assert refused("tool.xlsx", data).code == "macros"


def test_xlsx_zip_bombs_and_xml_entities_are_refused():
    bomb = syn.with_zip_member(syn.site_xlsx(ITEMS[:2]), "xl/media/padding.bin", b"\0" * (formats.MAX_UNZIPPED + 1))
    assert refused("tool.xlsx", bomb).code == "too_large"
    entity = syn.replace_zip_member(
        syn.site_xlsx(ITEMS[:2]), "xl/workbook.xml",
        lambda xml: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + xml,
    )
    assert refused("tool.xlsx", entity).code == "unsafe_xml"


def test_xlsx_that_is_a_zip_but_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("hello.txt", "synthetic")
    assert refused("tool.xlsx", out.getvalue()).code == "broken_file"


# --- JSON refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        (b'{"principles": [', "broken_file", "line 1"),
        (b'{"title": "x"}', "missing_columns", "principles"),
        (b"[]", "empty", "no principles"),
        (b'[{"name": "a", "extra": {"nested": 1}}]', "broken_file", "nested"),
        (b'["just text"]', "broken_file", "Item 1"),
        (b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]", "broken_file", ""),
        (json.dumps([{"name": f"s{i}"} for i in range(formats.MAX_ROWS + 1)]).encode(), "too_many_rows", ""),
        ('[{"name": "caf\u00e9"}]'.encode("latin-1"), "bad_encoding", "UTF-8"),
    ],
)
def test_json_refusals(body, code, words):
    error = refused("tool.json", body)
    assert error.code == code and words in error.message


# --- Word refusals ----------------------------------------------------------------------------------------


def test_docx_with_macros_or_without_tables_is_refused():
    assert refused("tool.docx", syn.with_zip_member(syn.docx_per_level(ITEMS[:3]), "word/vbaProject.bin")).code == "macros"
    from docx import Document

    document = Document()
    document.add_paragraph("Synthetic text without any table")
    out = io.BytesIO()
    document.save(out)
    error = refused("tool.docx", out.getvalue())
    assert error.code == "missing_columns" and "table" in error.message

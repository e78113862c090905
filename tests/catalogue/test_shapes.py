"""The shapes sites keep their Assessment Tool in (issue 15), read with the guessed mapping: every principle's
level, statement, four descriptions and score, and the notes that say what was set aside and why."""

from __future__ import annotations

import io

import pytest

from server.catalogue import mapping
from server.catalogue.formats import read_file
from tests.catalogue import shapes


def guessed(filename: str, data: bytes):
    sheet = read_file(filename, data)
    return sheet, mapping.validate(sheet, mapping.guess_mapping(sheet.headers))


@pytest.mark.parametrize("shape", list(shapes.SHAPES))
def test_each_shape_reads_every_principle_with_the_guessed_mapping(shape):
    filename, make, items = shapes.SHAPES[shape]
    _, preview = guessed(filename, make())
    assert not preview.refused and not preview.problems
    assert shapes.summary(preview.principles) == shapes.expected(items)


def test_word_cover_key_and_sign_off_tables_are_set_aside_by_name_with_the_reason():
    sheet, _ = guessed("tool.docx", shapes.word_tidy())
    assert sheet.notes == [
        "Principles read from the table after “Macro level principles (synthetic)” (8 rows); the table after "
        "“Meso level principles (synthetic)” (8 rows); the table after “Micro level principles (synthetic)” (8 rows).",
        "Set aside the table after “Synthetic THRIVE Assessment Tool for testing”: it looks like a cover or details "
        "table, not principles (no Principle or Statement column).",
        "Set aside the table after “Scoring key”: it looks like a scoring key (1 to 4 and what each means), not "
        "principles.",
        "Set aside the table after “Sign-off”: it looks like a sign-off table, not principles.",
    ]
    assert "Meaning" not in sheet.headers and "Signed off by" not in sheet.headers


def test_word_messy_banner_gives_the_level_and_typed_scores_keep_their_remark():
    sheet, preview = guessed("tool.docx", shapes.word_messy())
    by_id = {p["id"]: p for p in preview.principles}
    assert by_id["syn-3"]["baseline_score"] == 1 and by_id["syn-3"]["notes"] == (
        "Synthetic evidence 3.\nScore as typed: 1 (provisional)")
    assert by_id["syn-4"]["baseline_score"] == 4 and by_id["syn-4"]["notes"] == ""  # typed "4/4"
    assert by_id["syn-5"]["baseline_score"] is None  # blank: not scored
    assert {p["level"] for p in preview.principles[8:16]} == {"meso"}
    assert "In the table headed “MESO LEVEL – services (synthetic banner)”, the column headings are in row 2; the row " \
           "above it was read as its heading." in sheet.notes
    assert any("16 rows have no level in the “Level” column" in n for n in sheet.notes)


def _docx(build) -> bytes:
    from docx import Document

    document = Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_word_one_table_with_level_rows_between_and_two_header_rows():
    def build(document):
        document.add_paragraph("Synthetic tool in one table")
        table = document.add_table(rows=2, cols=8)
        for i, text in enumerate(["Ref", "Principle", "Statement"]):
            table.cell(0, i).merge(table.cell(1, i)).text = text
        table.cell(0, 3).merge(table.cell(0, 6)).text = "Descriptors"
        for i in range(4):
            table.cell(1, 3 + i).text = str(i + 1)
        table.cell(0, 7).merge(table.cell(1, 7)).text = "Score"
        for level, refs in (("Macro level", ("a1", "a2")), ("Micro level", ("c1",))):
            banner = table.add_row()
            banner.cells[0].merge(banner.cells[7]).text = level
            for ref in refs:
                row = table.add_row()
                values = [ref, f"Synthetic {ref}", f"Synthetic statement {ref}",
                          *(f"Synthetic {ref} d{d}" for d in range(1, 5)), "3"]
                for cell, text in zip(row.cells, values, strict=True):
                    cell.text = text

    sheet, preview = guessed("tool.docx", _docx(build))
    assert [(p["id"], p["level"], p["descriptors"][3], p["baseline_score"]) for p in preview.principles] == [
        ("a1", "macro", "Synthetic a1 d4", 3), ("a2", "macro", "Synthetic a2 d4", 3), ("c1", "micro", "Synthetic c1 d4", 3)]
    assert any("rows 1–2 were read together as the column headings (“Descriptors 1”" in n for n in sheet.notes)


def test_word_table_that_names_no_principles_is_named_with_the_reason_not_dropped_silently():
    def build(document):
        document.add_paragraph("Synthetic action log")
        other = document.add_table(rows=2, cols=3)
        for cell, text in zip(other.rows[0].cells, ["Action", "Owner", "When"], strict=True):
            cell.text = text
        other.rows[1].cells[0].text = "Synthetic action"
        document.add_paragraph("Synthetic principles")
        table = document.add_table(rows=2, cols=2)
        table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Principle", "Score"
        table.rows[1].cells[0].text, table.rows[1].cells[1].text = "Synthetic principle", "2"

    sheet, preview = guessed("tool.docx", _docx(build))
    assert [p["name"] for p in preview.principles] == ["Synthetic principle"]
    assert "Set aside the table after “Synthetic action log”: none of its first rows names a Principle or Statement " \
           "column." in sheet.notes


def test_excel_merged_headings_and_levels_and_an_instructions_sheet_first():
    sheet, preview = guessed("tool.xlsx", shapes.xlsx_merged())
    assert sheet.headers[:8] == ["Ref", "Level", "Principle", "Statement", "Descriptors 1", "Descriptors 2",
                                 "Descriptors 3", "Descriptors 4"]
    assert sheet.labels[0] == "row 4" and len(sheet.rows) == 24  # the sub-heading row 3 is not a principle
    assert [p["level"] for p in preview.principles] == ["macro"] * 8 + ["meso"] * 8 + ["micro"] * 8
    assert sheet.notes == [
        "Read the sheet “Assessment”; passed over “Instructions” (no column headings for principles in its first rows).",
        "The column headings were found in row 2; the row above it was left out.",
        "Rows 2–3 were read together as the column headings (“Descriptors 1”, …).",
    ]


def test_excel_a_merged_range_of_the_whole_sheet_is_clipped_to_what_is_read():
    from tests.catalogue import synthetic as syn

    data = syn.site_xlsx(shapes.ITEMS[:3], extra_sheets=())
    huge = b"<mergeCells count=\"1\"><mergeCell ref=\"A30:XFD1048576\"/></mergeCells>"
    data = syn.replace_zip_member(data, "xl/worksheets/sheet1.xml",
                                  lambda xml: xml.replace(b"</sheetData>", b"</sheetData>" + huge))
    sheet, preview = guessed("tool.xlsx", data)
    assert len(preview.principles) == 3 and len(sheet.rows) == 3


def test_csv_heading_over_blank_cells_and_a_row_of_numbers_under_it_is_one_header():
    from tests.catalogue import synthetic as syn

    rows = [["Principle", "Statement", "Descriptors", "", "", "", "Score"], ["", "", "1", "2", "3", "4", ""],
            ["Synthetic p", "Synthetic s", "d1", "d2", "d3", "d4", "2"]]
    _, preview = guessed("tool.csv", syn.csv_bytes(rows))
    assert preview.principles[0]["descriptors"] == ["d1", "d2", "d3", "d4"] and preview.principles[0]["baseline_score"] == 2


def test_a_row_of_principles_under_the_headings_is_never_taken_for_more_headings():
    from tests.catalogue import synthetic as syn

    rows = [["Ref", "Principle", "Score"], ["a", "Synthetic p", "3"], ["b", "Synthetic q", "4"]]
    _, preview = guessed("tool.csv", syn.csv_bytes(rows))
    assert [(p["id"], p["baseline_score"]) for p in preview.principles] == [("a", 3), ("b", 4)]


def test_word_tracked_changes_read_as_accepted_and_rows_in_content_controls_are_read():
    from tests.catalogue import synthetic as syn

    def edit(xml: bytes) -> bytes:
        text = xml.decode()
        text = text.replace(
            "<w:t>Synthetic principle 2</w:t></w:r>",
            '<w:t>Synthetic principle 2</w:t></w:r><w:ins w:id="91" w:author="Synthetic"><w:r>'
            '<w:t xml:space="preserve"> (inserted)</w:t></w:r></w:ins><w:del w:id="92" w:author="Synthetic"><w:r>'
            '<w:delText xml:space="preserve"> (deleted)</w:delText></w:r></w:del>')
        at = text.find("syn-3")
        start, end = text.rfind("<w:tr>", 0, at), text.find("</w:tr>", at) + len("</w:tr>")
        text = text[:start] + "<w:sdt><w:sdtContent>" + text[start:end] + "</w:sdtContent></w:sdt>" + text[end:]
        return text.encode()

    data = syn.replace_zip_member(shapes.word_tidy(shapes.ITEMS[:3]), "word/document.xml", edit)
    _, preview = guessed("tool.docx", data)
    assert [p["name"] for p in preview.principles] == [
        "Synthetic principle 1", "Synthetic principle 2 (inserted)", "Synthetic principle 3"]
    assert preview.principles[2]["descriptors"] == shapes.ITEMS[2]["descriptors"]


def test_excel_one_sheet_with_a_level_row_merged_across_above_each_block():
    from openpyxl import Workbook

    workbook = Workbook()
    ws = workbook.active
    ws.append(["Ref", "Principle", "Statement", "Score"])
    for level in ("Macro", "Meso", "Micro"):
        ws.append([f"{level} level (synthetic)"])
        ws.merge_cells(f"A{ws.max_row}:D{ws.max_row}")
        for n in (1, 2):
            ws.append([f"{level[:2].lower()}{n}", f"Synthetic {level} {n}", f"Synthetic statement {level} {n}", n])
    out = io.BytesIO()
    workbook.save(out)
    sheet, preview = guessed("tool.xlsx", out.getvalue())
    assert not preview.refused
    assert [(p["id"], p["level"]) for p in preview.principles] == [
        ("ma1", "macro"), ("ma2", "macro"), ("me1", "meso"), ("me2", "meso"), ("mi1", "micro"), ("mi2", "micro")]
    assert sheet.labels[:3] == ["row 3", "row 4", "row 6"]  # the level rows 2, 5, 8 are not principles


def test_csv_level_rows_fill_a_level_column_left_empty():
    from tests.catalogue import synthetic as syn

    rows = [["Level", "Principle", "Score"], ["Macro level", "", ""], ["", "Synthetic a", "1"],
            ["Meso", "Synthetic b", "2"], ["MICRO LEVEL", "", ""], ["", "Synthetic c", "3"]]
    sheet, preview = guessed("tool.csv", syn.csv_bytes(rows))
    assert [(p["name"], p["level"]) for p in preview.principles] == [
        ("Synthetic a", "macro"), ("Synthetic b", "meso"), ("Synthetic c", "micro")]
    assert "2 rows have no level in the “Level” column: the level was taken from the heading row above them." in sheet.notes


def test_excel_merged_ranges_past_the_cap_are_not_read():
    from server.catalogue import office_zip
    from tests.catalogue import synthetic as syn

    data = syn.site_xlsx(shapes.ITEMS[:3], extra_sheets=())
    many = b"".join(b'<mergeCell ref="K%d:L%d"/>' % (r, r) for r in range(1, 6001))
    data = syn.replace_zip_member(data, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        b"</sheetData>", b'</sheetData><mergeCells count="6000">' + many + b"</mergeCells>"))
    assert len(office_zip.sheet_layout(data, "Assessment")[0]) == office_zip.MAX_MERGED_RANGES
    _, preview = guessed("tool.xlsx", data)
    assert len(preview.principles) == 3


def test_excel_a_separate_sheet_of_scores_is_named_with_what_to_do():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Instructions"
    workbook.active.append(["Synthetic instructions for testing."])
    principles = workbook.create_sheet("Assessment")
    principles.append(["Ref", "Principle", "Statement"])
    principles.append(["a1", "Synthetic a1", "Synthetic statement a1"])
    scores = workbook.create_sheet("Scores")
    scores.append(["Ref", "Score"])
    scores.append(["a1", 3])
    out = io.BytesIO()
    workbook.save(out)
    sheet, _ = guessed("tool.xlsx", out.getvalue())
    assert sheet.notes[0] == (
        "Read the sheet “Assessment”; passed over “Instructions” (no column headings for principles in its first "
        "rows), “Scores” (it has scores but no principles: to import them, put them in a column of “Assessment”).")


def test_word_table_per_principle_with_a_value_split_over_two_cells():
    def build(document):
        table = document.add_table(rows=4, cols=3)
        for row, values in zip(table.rows, [("Principle", "Synthetic p", None), ("Level", "Meso", None),
                                            ("Statement", "Synthetic s", None), ("Score", "2", "(provisional)")],
                               strict=True):
            row.cells[0].text = values[0]
            if values[2] is None:
                row.cells[1].merge(row.cells[2]).text = values[1]
            else:
                row.cells[1].text, row.cells[2].text = values[1], values[2]

    _, preview = guessed("tool.docx", _docx(build))
    (principle,) = preview.principles
    assert (principle["name"], principle["level"], principle["baseline_score"]) == ("Synthetic p", "meso", 2)


def test_excel_hidden_columns_are_read_and_named_in_a_note():
    from openpyxl import Workbook

    workbook = Workbook()
    ws = workbook.active
    ws.append(["Principle", "Statement", "Score 2025", "Score"])
    ws.append(["Synthetic p", "Synthetic s", 1, 3])
    ws.column_dimensions["C"].hidden = True
    out = io.BytesIO()
    workbook.save(out)
    sheet, preview = guessed("tool.xlsx", out.getvalue())
    assert sheet.notes == ["Hidden columns were read like the others: C (“Score 2025”). If they hold old or working "
                           "values, check they aren't chosen below."]
    assert preview.principles[0]["baseline_score"] == 3  # "Score" is named exactly: it wins over "Score 2025"

"""From rows to principles: guessing which column is which, checking a mapping, and every row's refusals
(server/catalogue/mapping.py). Synthetic text only."""

from __future__ import annotations

import pytest

from server.catalogue import mapping
from server.catalogue.formats import Sheet
from server.catalogue.mapping import MappingError, check_mapping, guess_mapping, validate
from tests.catalogue import synthetic as syn


def sheet(headers: list[str], rows: list[list[str]]) -> Sheet:
    return Sheet("csv", headers, [dict(zip(headers, r, strict=True)) for r in rows],
                 [f"row {i + 2}" for i in range(len(rows))])


HEADERS = ["Ref", "Level", "Principle", "Statement", "Score"]
GUESS = guess_mapping(HEADERS)


def one(row: list[str], headers: list[str] = HEADERS, m: dict | None = None):
    return validate(sheet(headers, [row]), m or guess_mapping(headers))


# --- guessing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (syn.SITE_HEADERS, {
            "id": "Ref", "level": "Level", "name": "Principle", "statement": "Statement",
            "descriptor_1": "1 - Not yet met", "descriptor_2": "2 - Partly met", "descriptor_3": "3 - Mostly met",
            "descriptor_4": "4 - Fully THRIVE-like", "baseline_score": "Our score", "notes": "Evidence",
            "key_principles": "Key principles",
        }),
        (["id", "level", "name", "statement", "descriptor_1", "descriptor_2", "descriptor_3", "descriptor_4",
          "baseline_score", "notes", "key_principles", "summary"],
         {f: f for f in mapping.FIELDS}),
        (["Principle statement", "Level 1 description", "Level 2 description", "Level 3 description",
          "Level 4 description", "Baseline (1-4)", "Notes / evidence", "System level"],
         {"statement": "Principle statement", "descriptor_1": "Level 1 description",
          "descriptor_2": "Level 2 description", "descriptor_3": "Level 3 description",
          "descriptor_4": "Level 4 description", "baseline_score": "Baseline (1-4)", "notes": "Notes / evidence",
          "level": "System level"}),
        (["Name", "1", "2", "3", "4", "Rating"],
         {"name": "Name", "descriptor_1": "1", "descriptor_2": "2", "descriptor_3": "3", "descriptor_4": "4",
          "baseline_score": "Rating"}),
        (["Something", "Else"], {}),
    ],
)
def test_the_mapping_is_guessed_from_the_headings(headers, expected):
    guessed = guess_mapping(headers)
    assert {f: h for f, h in guessed.items() if h} == expected
    used = [h for h in guessed.values() if h]
    assert len(used) == len(set(used))  # a column is used once


def test_guessing_ignores_case_accents_and_punctuation():
    assert mapping.guess_field("  NOT YET MET! ") == "descriptor_1"
    assert mapping.guess_field("Évidence") == "notes"
    assert mapping.guess_field("Key THRIVE principles") == "key_principles"
    assert mapping.guess_field("") is None


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("not an object", "object"),
        ({"colour": "Ref"}, "Unknown field"),
        ({"name": "Nope"}, "not in this file"),
        ({"name": "Principle", "statement": "Principle"}, "both"),
        ({"id": "Ref"}, "names"),
        ({"name": 3}, "not in this file"),
    ],
)
def test_a_mapping_that_does_not_fit_the_file_is_refused(raw, words):
    with pytest.raises(MappingError, match=words):
        check_mapping(HEADERS, raw)


def test_a_mapping_may_leave_fields_out():
    assert check_mapping(HEADERS, {"name": "Principle", "level": None, "notes": ""})["name"] == "Principle"


# --- rows -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "score"), [("3", 3), ("3.0", 3), ("4/4", 4), ("1 out of 4", 1), (" 2 ", 2), ("", None), ("2,0", 2)]
)
def test_scores_that_are_accepted(raw, score):
    assert one(["a", "macro", "Synthetic", "", raw]).principles[0]["baseline_score"] == score


@pytest.mark.parametrize(
    ("raw", "words"),
    [("5", "outside 1–4"), ("0", "outside 1–4"), ("-1", "outside 1–4"), ("2.5", "whole number"),
     ("high", "isn't a number"), ("3/5", "isn't a number"), ("n/a", "isn't a number"),
     ("2.5 (provisional)", "whole number"), ("1 (a) (b)", "isn't a number")],
)
def test_scores_outside_one_to_four_are_refused(raw, words):
    result = one(["a", "macro", "Synthetic", "", raw])
    assert not result.accepted and words in result.refused[0].reasons[0]


@pytest.mark.parametrize(
    ("raw", "score", "remark"),
    [("1 (provisional)", 1, "provisional"), ("3/4 (draft)", 3, "draft"), ("2 - to check with CAMHS", 2, "to check with CAMHS"),
     ("4 [agreed]", 4, "agreed")],
)
def test_a_remark_typed_after_the_score_is_kept_in_the_notes(raw, score, remark):
    result = one(["a", "macro", "Synthetic", "", raw])
    principle = result.principles[0]
    assert principle["baseline_score"] == score and principle["notes"] == f"Score as typed: {raw}"
    assert f"read as {score}" in result.accepted[0].warnings[-1] and remark in principle["notes"]


@pytest.mark.parametrize(("raw", "level"), [("Macro", "macro"), ("MESO level", "meso"), ("micro-level", "micro"), ("", None)])
def test_levels(raw, level):
    assert one(["a", raw, "Synthetic", "", ""]).principles[0]["level"] == level


def test_a_row_is_refused_with_every_reason_at_once():
    result = one(["a b/c", "strategic", "x" * 121, "", "9"])
    reasons = result.refused[0].reasons
    assert len(reasons) == 4
    assert any("may only use letters" in r for r in reasons)
    assert any("isn't macro, meso or micro" in r for r in reasons)
    assert any("name is 121 characters" in r for r in reasons)
    assert any("outside 1–4" in r for r in reasons)
    assert result.refused[0].label == "row 2" and result.problems


def test_long_texts_are_refused_at_their_limits():
    headers = ["Principle", "Statement", "1", "2", "3", "4", "Notes"]
    ok = one(["Synthetic", "s" * 2000, "d" * 1000, "d", "d", "d", "n" * 2000], headers)
    assert ok.accepted
    bad = one(["Synthetic", "s" * 2001, "d" * 1001, "d", "d", "d", "n" * 2001], headers)
    assert sorted(bad.refused[0].reasons) == [
        "description 1 is 1001 characters; at most 1000", "notes is 2001 characters; at most 2000",
        "statement is 2001 characters; at most 2000",
    ]


def test_duplicate_ids_refuse_every_row_that_shares_them():
    rows = [["A-1", "", "Synthetic 1", "", ""], ["a-1", "", "Synthetic 2", "", ""], ["b", "", "Synthetic 3", "", ""]]
    result = validate(sheet(HEADERS, rows), GUESS)
    assert [a.principle["id"] for a in result.accepted] == ["b"]
    assert [r.label for r in result.refused] == ["row 2", "row 3"]
    assert "also used by row 3" in result.refused[0].reasons[0]


def test_missing_ids_are_made_up_from_the_name_and_never_collide():
    rows = [["", "", "Synthetic principle", "", ""], ["synthetic-principle", "", "Other", "", ""],
            ["", "", "Synthetic principle", "", ""], ["", "", "!!!", "", ""]]
    result = validate(sheet(HEADERS, rows), GUESS)
    assert [a.principle["id"] for a in result.accepted] == ["synthetic-principle-2", "synthetic-principle",
                                                           "synthetic-principle-3", "p4"]
    assert result.accepted[0].warnings == ["id made up"]


def test_ids_with_spaces_become_dashes():
    assert one(["M 1", "", "Synthetic", "", ""]).principles[0]["id"] == "M-1"


def test_a_name_is_made_from_the_statement_when_there_is_none():
    result = one(["", "", "", "Synthetic statement one. A second sentence follows here.", ""])
    assert result.principles[0]["name"] == "Synthetic statement one"
    long = one(["", "", "", "Synthetic " + "word " * 30, ""])
    assert long.principles[0]["name"].endswith("…") and len(long.principles[0]["name"]) <= 61
    assert "short name made from the statement" in long.accepted[0].warnings


def test_descriptions_are_four_or_none_and_gaps_are_flagged():
    headers = ["Principle", "1", "2", "3", "4"]
    assert one(["Synthetic", "", "", "", ""], headers).principles[0]["descriptors"] == []
    partial = one(["Synthetic", "d1", "", "d3", ""], headers)
    assert partial.principles[0]["descriptors"] == ["d1", "", "d3", ""]
    assert "descriptions 2, 4 empty" in partial.accepted[0].warnings


def test_key_principles_by_name_or_id():
    headers = ["Principle", "Key principles"]
    result = one(["Synthetic", "Needs led; accessibility, Proactive Prevention & Promotion / needs-led"], headers)
    assert result.principles[0]["key_principles"] == ["needs-led", "accessibility", "proactive-prevention-promotion"]
    bad = one(["Synthetic", "Needs-Led; Synthetic nonsense"], headers)
    assert "Synthetic nonsense" in bad.refused[0].reasons[0]


def test_text_is_cleaned_of_control_characters_and_stray_spacing():
    headers = ["Principle", "Statement"]
    result = one(["  Synthetic \t name  ", "Line one  \r\nLine two\x07\n\n\n\nEnd"], headers)
    assert result.principles[0]["name"] == "Synthetic name"
    assert result.principles[0]["statement"] == "Line one\nLine two\n\nEnd"


def test_blank_rows_are_counted_not_refused():
    result = validate(sheet(HEADERS, [["", "", "", "", ""], ["a", "", "Synthetic", "", ""]]), GUESS)
    assert result.blank_rows == 1 and len(result.accepted) == 1 and not result.refused


def test_more_principles_than_a_workshop_takes_is_a_problem_for_the_whole_import():
    rows = [[f"p{i}", "", f"Synthetic {i}", "", ""] for i in range(61)]
    result = validate(sheet(HEADERS, rows), GUESS)
    assert len(result.accepted) == 61 and "at most 60" in result.problems[0]


def test_the_preview_lists_rows_counts_and_levels():
    items = syn.principles(6)
    rows = [syn.site_row(p) for p in items] + [["x", "Nowhere", "Bad", "", "", "", "", "", "7", "", ""]]
    result = validate(sheet(syn.SITE_HEADERS, rows), guess_mapping(syn.SITE_HEADERS)).to_dict()
    assert result["counts"] == {"accepted": 6, "refused": 1, "by_level": {"macro": 2, "meso": 2, "micro": 2, "none": 0}}
    assert result["refused"][0] == {"row": 7, "label": "row 8", "name": "Bad",
                                    "reasons": ["level “Nowhere” isn't macro, meso or micro", "baseline score 7 is outside 1–4"]}
    assert result["accepted"][0]["principle"] == items[0]

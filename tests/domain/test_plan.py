"""domain.plan: dates as dates, overdue actions, unactioned priorities, recommendations, the room's make-up."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain import plan as rules

D = dt.date


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2027-03-31", ("2027-03-31", "")),
        ("  2027-03-31 ", ("2027-03-31", "")),
        ("31/03/2027", ("2027-03-31", "")),  # day first, as in England
        ("1/4/27", ("2027-04-01", "")),
        ("31.3.2027", ("2027-03-31", "")),
        ("31-3-2027", ("2027-03-31", "")),
        ("31 March 2027", ("2027-03-31", "")),
        ("31st March 2027", ("2027-03-31", "")),
        ("3 Sept 2027", ("2027-09-03", "")),
        ("March 31, 2027", ("2027-03-31", "")),
        ("spring", ("", "spring")),
        ("March 2027", ("", "March 2027")),
        ("end of March", ("", "end of March")),
        ("31/02/2027", ("", "31/02/2027")),  # no such day: kept as typed
        ("2027-02-30", ("", "2027-02-30")),
        ("31 Smarch 2027", ("", "31 Smarch 2027")),
        ("", ("", "")),
        ("   ", ("", "")),
    ],
)
def test_split_due_reads_what_is_plainly_a_date_and_keeps_the_rest(typed, expected):
    assert rules.split_due(typed) == expected


def test_split_due_cuts_a_long_note_to_its_limit():
    assert rules.split_due("x" * 500) == ("", "x" * rules.MAX_DUE_NOTE_CHARS)


@pytest.mark.parametrize("text", ["2027-3-31", "27-03-31", "2027/03/31", "20270331", "", "2027-13-01", None, 5])
def test_iso_date_is_strict(text):
    assert rules.iso_date(text) is None


def test_overdue_is_before_today_and_not_done():
    today = D(2027, 4, 1)
    assert rules.is_overdue("2027-03-31", "not_started", today)
    assert rules.is_overdue("2027-03-31", "in_progress", today)
    assert not rules.is_overdue("2027-03-31", "done", today)
    assert not rules.is_overdue("2027-04-01", "not_started", today)  # due today is not late yet
    assert not rules.is_overdue("", "not_started", today)


def test_plan_flags_names_priorities_without_actions_and_late_actions():
    actions = [
        rules.ActionDates("a1", "needs-led", "2027-01-10", "not_started"),
        rules.ActionDates("a2", None, "2026-12-01", "in_progress"),
        rules.ActionDates("a3", "access", "2026-12-01", "done"),
        rules.ActionDates("a4", "access", "", "not_started"),
    ]
    flags = rules.plan_flags(["needs-led", "access", "stigma", "language"], actions, D(2027, 2, 1))
    assert flags == {"unactioned": ["stigma", "language"], "overdue": ["a1", "a2"]}
    assert rules.plan_flags([], [], D(2027, 2, 1)) == {"unactioned": [], "overdue": []}


def test_recommendation_lines_drop_bullets_blanks_and_repeats():
    text = "- Open an evening drop-in\n\n• Map transport  from the villages\n* Open an evening drop-in\n   \n"
    assert rules.recommendation_lines(text) == ["Open an evening drop-in", "Map transport from the villages"]
    assert rules.recommendation_lines("") == []
    assert rules.recommendation_lines("y" * 900) == ["y" * rules.MAX_RECOMMENDATION_CHARS]


def test_sector_options_default_and_edited():
    default = rules.sector_options(None)
    assert [s["id"] for s in default][:2] == ["health", "social_care"]
    assert {"id": rules.YOUNG_PEOPLE, "label": "Young people"} in default
    assert rules.sector_options([{"id": "police", "label": "Police"}]) == [{"id": "police", "label": "Police"}]


def test_sector_id_for_a_new_label_is_unique():
    assert rules.sector_id_for("Police & justice", []) == "police_justice"
    assert rules.sector_id_for("Police & justice", ["police_justice"]) == "police_justice_2"
    assert rules.sector_id_for("!!!", []) == "sector"
    assert rules.SECTOR_ID.match(rules.sector_id_for("É" * 60, []))


def test_room_makeup_adds_up_what_tables_said():
    options = rules.sector_options(None)
    tables = [
        rules.TableMakeup("t1", ("health", rules.PARENT_CARERS), 6),
        rules.TableMakeup("t2", ("health", "education"), 5),
        rules.TableMakeup("t3", (), None),  # said nothing yet
    ]
    room = rules.room_makeup(options, tables)
    assert room["people"] == 11 and room["tables_counted"] == 2 and room["tables"] == 3
    assert room["sectors_covered"] == ["health", "education", rules.PARENT_CARERS]
    assert "social_care" in room["sectors_missing"] and "health" not in room["sectors_missing"]
    assert room["tables_by_sector"]["health"] == 2
    assert room["young_people"] is False and room["parent_carers"] is True
    # A list without those sectors cannot say whether they took part.
    other = rules.room_makeup([{"id": "health", "label": "Health"}], tables[:1])
    assert other["young_people"] is None and other["parent_carers"] is None


def test_room_makeup_of_an_empty_room():
    room = rules.room_makeup(rules.sector_options(None), [])
    assert room["people"] == 0 and room["sectors_covered"] == [] and room["young_people"] is False

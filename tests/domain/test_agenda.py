"""Tests for server.domain.agenda: timer transitions, refusals, overtime and the agenda state machine.

Expected values are worked out by hand and written literally. Times are small binary-exact floats.
"""

from __future__ import annotations

import dataclasses

import pytest

from server.domain import agenda as ag
from server.domain.agenda import (
    SEGMENT_KINDS,
    Agenda,
    Segment,
    SegmentTimer,
    actual_seconds,
    current_segment,
    default_phase1_agenda,
    discussion_index,
    edit_planned,
    extend,
    extend_current,
    finish,
    finish_current,
    get_segment,
    go_next,
    go_to,
    is_times_up,
    new_agenda,
    new_segment,
    new_timer,
    next_segment_id,
    pause,
    pause_current,
    planned_vs_actual,
    recorded_seconds,
    remaining,
    reopen,
    resume,
    resume_current,
    set_planned,
    skip,
    start,
    start_current,
    validate_segment_fields,
)
from server.domain.errors import DomainError


def code_of(excinfo: pytest.ExceptionInfo[DomainError]) -> str:
    return excinfo.value.code


# Literal timers in each state, used as starting points. A 600 s segment:
PENDING = SegmentTimer(600, "pending", None, 600.0, 0.0, None, None, None)
# started at 1000 -> deadline 1600
RUNNING = SegmentTimer(600, "running", 1600.0, 600.0, 0.0, 1000.0, 1000.0, None)
# paused at 1100 after 100 s -> 500 left
PAUSED = SegmentTimer(600, "paused", None, 500.0, 100.0, None, 1000.0, None)
# finished at 1450 after 450 s -> 150 left
DONE = SegmentTimer(600, "done", None, 150.0, 450.0, None, 1000.0, 1450.0)
SKIPPED = SegmentTimer(600, "skipped", None, 600.0, 0.0, None, None, 900.0)


# ---------------------------------------------------------------------------------------------------------------
# new_timer
# ---------------------------------------------------------------------------------------------------------------


def test_new_timer_is_pending_with_the_whole_plan_left():
    assert new_timer(600) == PENDING


def test_new_timer_remaining_is_a_float():
    assert isinstance(new_timer(600).remaining_seconds, float)


def test_new_timer_zero_is_allowed():
    assert new_timer(0) == SegmentTimer(0, "pending", None, 0.0, 0.0, None, None, None)


@pytest.mark.parametrize("bad", [-1, -600, 1.5, 600.0, True, "600", None])
def test_new_timer_refuses_negative_or_non_integer(bad):
    with pytest.raises(DomainError) as e:
        new_timer(bad)
    assert code_of(e) == "invalid_segment"


# ---------------------------------------------------------------------------------------------------------------
# start
# ---------------------------------------------------------------------------------------------------------------


def test_start_pending_sets_deadline_from_remaining():
    assert start(PENDING, 1000.0) == RUNNING


def test_start_pending_with_fractional_now():
    t = start(PENDING, 1000.5)
    assert t.deadline == 1600.5
    assert t.run_started_at == 1000.5
    assert t.started_at == 1000.5


def test_start_pending_after_extension_uses_extended_remaining():
    t = extend(PENDING, 60, 900.0)
    assert start(t, 1000.0).deadline == 1660.0


def test_start_paused_resumes_and_keeps_first_start():
    t = start(PAUSED, 2000.0)
    assert t == SegmentTimer(600, "running", 2500.0, 500.0, 100.0, 2000.0, 1000.0, None)


def test_start_paused_is_the_same_as_resume():
    assert start(PAUSED, 2000.0) == resume(PAUSED, 2000.0)


def test_double_start_is_refused():
    with pytest.raises(DomainError) as e:
        start(RUNNING, 1001.0)
    assert code_of(e) == "already_running"


@pytest.mark.parametrize("t", [DONE, SKIPPED])
def test_start_ended_is_refused(t):
    with pytest.raises(DomainError) as e:
        start(t, 2000.0)
    assert code_of(e) == "invalid_state"


def test_start_zero_timer_is_immediately_times_up():
    t = start(new_timer(0), 1000.0)
    assert t.deadline == 1000.0
    assert remaining(t, 1000.0) == 0.0
    assert is_times_up(t, 1000.0) is True


def test_start_does_not_mutate_input():
    before = dataclasses.replace(PENDING)
    start(PENDING, 1000.0)
    assert PENDING == before


def test_timer_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PENDING.status = "running"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------------------
# pause
# ---------------------------------------------------------------------------------------------------------------


def test_pause_running_freezes_what_is_left():
    assert pause(RUNNING, 1100.0) == PAUSED


def test_pause_fractional():
    t = pause(RUNNING, 1100.25)
    assert t.remaining_seconds == 499.75
    assert t.elapsed_seconds == 100.25


def test_pause_in_overtime_keeps_negative_remaining():
    t = pause(RUNNING, 1700.0)
    assert t == SegmentTimer(600, "paused", None, -100.0, 700.0, None, 1000.0, None)


def test_pause_exactly_at_deadline_leaves_zero():
    t = pause(RUNNING, 1600.0)
    assert t.remaining_seconds == 0.0
    assert t.elapsed_seconds == 600.0


def test_pause_immediately_after_start():
    t = pause(RUNNING, 1000.0)
    assert t.remaining_seconds == 600.0
    assert t.elapsed_seconds == 0.0


def test_pause_with_clock_before_run_start_gives_no_time_back():
    # A clock that stepped back must not add time or make elapsed negative.
    t = pause(RUNNING, 990.0)
    assert t.remaining_seconds == 600.0
    assert t.elapsed_seconds == 0.0


@pytest.mark.parametrize("t", [PENDING, PAUSED, DONE, SKIPPED])
def test_pause_when_not_running_is_refused(t):
    with pytest.raises(DomainError) as e:
        pause(t, 1200.0)
    assert code_of(e) == "not_running"


def test_second_run_accumulates_elapsed():
    t = resume(PAUSED, 2000.0)  # 500 left, deadline 2500
    t = pause(t, 2200.0)
    assert t == SegmentTimer(600, "paused", None, 300.0, 300.0, None, 1000.0, None)


# ---------------------------------------------------------------------------------------------------------------
# resume
# ---------------------------------------------------------------------------------------------------------------


def test_resume_paused():
    assert resume(PAUSED, 2000.0) == SegmentTimer(600, "running", 2500.0, 500.0, 100.0, 2000.0, 1000.0, None)


def test_resume_in_overtime_sets_deadline_in_the_past():
    overtime = SegmentTimer(600, "paused", None, -100.0, 700.0, None, 1000.0, None)
    t = resume(overtime, 1800.0)
    assert t.deadline == 1700.0
    assert remaining(t, 1800.0) == -100.0
    assert remaining(t, 1850.0) == -150.0


def test_resume_running_is_refused():
    with pytest.raises(DomainError) as e:
        resume(RUNNING, 1100.0)
    assert code_of(e) == "already_running"


def test_resume_pending_is_refused():
    with pytest.raises(DomainError) as e:
        resume(PENDING, 1000.0)
    assert code_of(e) == "invalid_state"


@pytest.mark.parametrize("t", [DONE, SKIPPED])
def test_resume_ended_is_refused(t):
    with pytest.raises(DomainError) as e:
        resume(t, 2000.0)
    assert code_of(e) == "invalid_state"


# ---------------------------------------------------------------------------------------------------------------
# extend
# ---------------------------------------------------------------------------------------------------------------


def test_extend_running_moves_deadline_not_plan():
    t = extend(RUNNING, 60, 1100.0)
    assert t == SegmentTimer(600, "running", 1660.0, 600.0, 0.0, 1000.0, 1000.0, None)
    assert remaining(t, 1100.0) == 560.0


def test_extend_paused_adds_to_remaining():
    assert extend(PAUSED, 60, 1200.0) == SegmentTimer(600, "paused", None, 560.0, 100.0, None, 1000.0, None)


def test_extend_while_paused_then_resume():
    t = resume(extend(PAUSED, 60, 1200.0), 2000.0)
    assert t.deadline == 2560.0


def test_extend_pending_adds_to_remaining():
    assert extend(PENDING, 300, 900.0) == SegmentTimer(600, "pending", None, 900.0, 0.0, None, None, None)


def test_extend_in_overtime_adds_to_the_deadline_not_to_now():
    # 100 s over at 1700; 300 more leaves 200.
    t = extend(RUNNING, 300, 1700.0)
    assert t.deadline == 1900.0
    assert remaining(t, 1700.0) == 200.0
    assert is_times_up(t, 1700.0) is False


def test_extend_paused_overtime():
    overtime = SegmentTimer(600, "paused", None, -100.0, 700.0, None, 1000.0, None)
    assert extend(overtime, 60, 1800.0).remaining_seconds == -40.0


@pytest.mark.parametrize("seconds", [1, 7200])
def test_extend_bounds_are_inclusive(seconds):
    assert extend(RUNNING, seconds, 1100.0).deadline == 1600.0 + seconds


@pytest.mark.parametrize("seconds", [0, -1, -60, 7201, 1.5, 60.0, True, "60", None])
def test_extend_refuses_bad_amounts(seconds):
    with pytest.raises(DomainError) as e:
        extend(RUNNING, seconds, 1100.0)
    assert code_of(e) == "invalid_extension"


@pytest.mark.parametrize("t", [DONE, SKIPPED])
def test_extend_ended_is_refused(t):
    with pytest.raises(DomainError) as e:
        extend(t, 60, 2000.0)
    assert code_of(e) == "invalid_state"


def test_extend_twice_adds_up():
    t = extend(extend(RUNNING, 60, 1100.0), 120, 1200.0)
    assert t.deadline == 1780.0
    assert t.planned_seconds == 600


# ---------------------------------------------------------------------------------------------------------------
# finish
# ---------------------------------------------------------------------------------------------------------------


def test_finish_running_early():
    assert finish(RUNNING, 1450.0) == DONE


def test_finish_running_late_keeps_negative_remaining():
    t = finish(RUNNING, 1750.0)
    assert t == SegmentTimer(600, "done", None, -150.0, 750.0, None, 1000.0, 1750.0)


def test_finish_paused_does_not_count_the_pause():
    t = finish(PAUSED, 5000.0)
    assert t == SegmentTimer(600, "done", None, 500.0, 100.0, None, 1000.0, 5000.0)


def test_finish_after_pause_and_resume_counts_both_runs():
    t = resume(PAUSED, 2000.0)
    t = finish(t, 2250.0)
    assert t.elapsed_seconds == 350.0
    assert t.remaining_seconds == 250.0
    assert t.ended_at == 2250.0


def test_finish_pending_is_refused():
    with pytest.raises(DomainError) as e:
        finish(PENDING, 1000.0)
    assert code_of(e) == "invalid_state"


@pytest.mark.parametrize("t", [DONE, SKIPPED])
def test_finish_ended_is_refused(t):
    with pytest.raises(DomainError) as e:
        finish(t, 2000.0)
    assert code_of(e) == "invalid_state"


# ---------------------------------------------------------------------------------------------------------------
# skip
# ---------------------------------------------------------------------------------------------------------------


def test_skip_pending():
    assert skip(PENDING, 900.0) == SKIPPED


@pytest.mark.parametrize("t", [RUNNING, PAUSED, DONE, SKIPPED])
def test_skip_when_not_pending_is_refused(t):
    with pytest.raises(DomainError) as e:
        skip(t, 1200.0)
    assert code_of(e) == "invalid_state"


# ---------------------------------------------------------------------------------------------------------------
# reopen
# ---------------------------------------------------------------------------------------------------------------


def test_reopen_done_is_paused_with_what_was_left():
    assert reopen(DONE, 3000.0) == SegmentTimer(600, "paused", None, 150.0, 450.0, None, 1000.0, None)


def test_reopen_done_in_overtime_keeps_negative_remaining():
    late = finish(RUNNING, 1750.0)
    t = reopen(late, 3000.0)
    assert t.remaining_seconds == -150.0
    assert is_times_up(t, 3000.0) is True


def test_reopen_done_exactly_on_time_is_times_up():
    t = reopen(finish(RUNNING, 1600.0), 3000.0)
    assert t.remaining_seconds == 0.0
    assert is_times_up(t, 3000.0) is True


def test_reopen_skipped_is_paused_with_the_full_plan_and_no_start():
    assert reopen(SKIPPED, 3000.0) == SegmentTimer(600, "paused", None, 600.0, 0.0, None, None, None)


def test_reopened_skipped_records_its_first_start_when_started():
    t = start(reopen(SKIPPED, 3000.0), 3100.0)
    assert t == SegmentTimer(600, "running", 3700.0, 600.0, 0.0, 3100.0, 3100.0, None)


def test_reopened_done_resumes_and_accumulates():
    t = resume(reopen(DONE, 3000.0), 4000.0)  # 150 left -> deadline 4150
    assert t.deadline == 4150.0
    assert actual_seconds(t, 4100.0) == 550.0
    t = finish(t, 4200.0)
    assert t.elapsed_seconds == 650.0
    assert t.remaining_seconds == -50.0
    assert t.started_at == 1000.0


@pytest.mark.parametrize("t", [PENDING, RUNNING, PAUSED])
def test_reopen_when_not_ended_is_refused(t):
    with pytest.raises(DomainError) as e:
        reopen(t, 3000.0)
    assert code_of(e) == "invalid_state"


# ---------------------------------------------------------------------------------------------------------------
# remaining / actual_seconds / is_times_up
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [(1000.0, 600.0), (1100.5, 499.5), (1600.0, 0.0), (1700.0, -100.0), (990.0, 600.0)],
)
def test_remaining_running(now, expected):
    assert remaining(RUNNING, now) == expected


@pytest.mark.parametrize(
    ("t", "expected"), [(PENDING, 600.0), (PAUSED, 500.0), (DONE, 150.0), (SKIPPED, 600.0)]
)
def test_remaining_when_not_running_ignores_now(t, expected):
    assert remaining(t, 99999.0) == expected


@pytest.mark.parametrize(
    ("t", "now", "expected"),
    [
        (PENDING, 5000.0, 0.0),
        (RUNNING, 1000.0, 0.0),
        (RUNNING, 1234.5, 234.5),
        (RUNNING, 1700.0, 700.0),
        (RUNNING, 900.0, 0.0),  # clock before the run start
        (PAUSED, 5000.0, 100.0),
        (DONE, 5000.0, 450.0),
        (SKIPPED, 5000.0, 0.0),
    ],
)
def test_actual_seconds(t, now, expected):
    assert actual_seconds(t, now) == expected


def test_actual_seconds_running_second_run():
    t = resume(PAUSED, 2000.0)
    assert actual_seconds(t, 2050.0) == 150.0


@pytest.mark.parametrize(
    ("t", "now", "expected"),
    [
        (RUNNING, 1599.0, False),
        (RUNNING, 1600.0, True),
        (RUNNING, 1700.0, True),
        (PAUSED, 5000.0, False),
        (SegmentTimer(600, "paused", None, 0.0, 600.0, None, 1000.0, None), 5000.0, True),
        (SegmentTimer(600, "paused", None, -1.0, 601.0, None, 1000.0, None), 5000.0, True),
        (PENDING, 5000.0, False),
        (SegmentTimer(0, "pending", None, 0.0, 0.0, None, None, None), 5000.0, False),
        (SegmentTimer(600, "done", None, -150.0, 750.0, None, 1000.0, 1750.0), 5000.0, False),
        (SKIPPED, 5000.0, False),
    ],
)
def test_is_times_up(t, now, expected):
    assert is_times_up(t, now) is expected


# ---------------------------------------------------------------------------------------------------------------
# set_planned (timer level)
# ---------------------------------------------------------------------------------------------------------------


def test_set_planned_pending_remaining_follows():
    assert set_planned(PENDING, 900) == SegmentTimer(900, "pending", None, 900.0, 0.0, None, None, None)


def test_set_planned_pending_keeps_an_extension():
    t = extend(PENDING, 60, 900.0)  # 660 left
    assert set_planned(t, 300).remaining_seconds == 360.0


def test_set_planned_running_shifts_deadline():
    t = set_planned(RUNNING, 900)
    assert t.deadline == 1900.0
    assert t.planned_seconds == 900
    assert t.remaining_seconds == 600.0  # not authoritative while running; untouched


def test_set_planned_paused_shifts_remaining():
    t = set_planned(PAUSED, 300)  # 500 left - 300 = 200
    assert t == SegmentTimer(300, "paused", None, 200.0, 100.0, None, 1000.0, None)


def test_set_planned_shorter_than_used_goes_into_overtime():
    t = set_planned(RUNNING, 60)  # deadline 1600 - 540 = 1060
    assert t.deadline == 1060.0
    assert remaining(t, 1100.0) == -40.0
    assert is_times_up(t, 1100.0) is True


def test_set_planned_done_changes_plan_and_left_over():
    t = set_planned(DONE, 1200)
    assert t == SegmentTimer(1200, "done", None, 750.0, 450.0, None, 1000.0, 1450.0)


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_set_planned_refuses_nonsense(bad):
    with pytest.raises(DomainError) as e:
        set_planned(PENDING, bad)
    assert code_of(e) == "invalid_segment"


# ---------------------------------------------------------------------------------------------------------------
# validate_segment_fields
# ---------------------------------------------------------------------------------------------------------------


def test_segment_kinds_are_the_products_kinds():
    assert SEGMENT_KINDS == ("info", "review", "discuss", "rank", "share", "consensus", "gap", "next_steps")


@pytest.mark.parametrize("kind", ["info", "review", "discuss", "rank", "share", "consensus", "gap", "next_steps"])
def test_validate_accepts_every_kind(kind):
    assert validate_segment_fields(kind, "Welcome", "", 600) == (kind, "Welcome", "", 600)


def test_validate_strips_title_and_instructions():
    assert validate_segment_fields("info", "  Break  ", "  Get a coffee.\n", 900) == (
        "info",
        "Break",
        "Get a coffee.",
        900,
    )


@pytest.mark.parametrize("kind", ["quiz", "", "RANK", None, 3])
def test_validate_refuses_unknown_kind(kind):
    with pytest.raises(DomainError) as e:
        validate_segment_fields(kind, "Title", "", 600)
    assert code_of(e) == "invalid_segment"


@pytest.mark.parametrize("title", ["", "   ", "\n\t", "x" * 121, None, 5])
def test_validate_refuses_bad_title(title):
    with pytest.raises(DomainError) as e:
        validate_segment_fields("info", title, "", 600)
    assert code_of(e) == "invalid_segment"


@pytest.mark.parametrize("title", ["x", "x" * 120, " " + "x" * 120 + " "])
def test_validate_title_bounds(title):
    assert validate_segment_fields("info", title, "", 600)[1] == title.strip()


def test_validate_instructions_bounds():
    assert validate_segment_fields("info", "T", "y" * 1000, 600)[2] == "y" * 1000
    with pytest.raises(DomainError) as e:
        validate_segment_fields("info", "T", "y" * 1001, 600)
    assert code_of(e) == "invalid_segment"


def test_validate_refuses_non_string_instructions():
    with pytest.raises(DomainError) as e:
        validate_segment_fields("info", "T", None, 600)
    assert code_of(e) == "invalid_segment"


@pytest.mark.parametrize("seconds", [60, 14400])
def test_validate_planned_bounds_are_inclusive(seconds):
    assert validate_segment_fields("info", "T", "", seconds)[3] == seconds


@pytest.mark.parametrize("seconds", [59, 0, -60, 14401, 600.0, True, "600", None])
def test_validate_refuses_bad_planned(seconds):
    with pytest.raises(DomainError) as e:
        validate_segment_fields("info", "T", "", seconds)
    assert code_of(e) == "invalid_segment"


def test_validate_error_message_is_for_people():
    with pytest.raises(DomainError) as e:
        validate_segment_fields("info", "T", "", 30)
    assert e.value.message == "Each agenda item must last between 1 minute and 4 hours."


# ---------------------------------------------------------------------------------------------------------------
# default_phase1_agenda
# ---------------------------------------------------------------------------------------------------------------


def test_default_phase1_agenda_kinds_titles_and_times():
    rows = default_phase1_agenda()
    assert [(kind, title, seconds) for kind, title, _, seconds in rows] == [
        ("rank", "Exercise 1: your table's top five", 1800),
        ("share", "Exercise 2: share with the room", 600),
        ("consensus", "Exercise 3: agree the room's top five", 1200),
    ]


def test_default_phase1_agenda_rows_are_valid_and_have_instructions():
    for kind, title, instructions, seconds in default_phase1_agenda():
        assert validate_segment_fields(kind, title, instructions, seconds) == (
            kind,
            title,
            instructions,
            seconds,
        )
        assert 20 <= len(instructions) <= 300


def test_default_phase1_rank_instructions_tell_the_table_to_agree():
    instructions = default_phase1_agenda()[0][2]
    assert "five" in instructions
    assert "Agree" in instructions


def test_default_phase1_agenda_overrides_some_minutes():
    rows = default_phase1_agenda({"rank": 45, "consensus": 5})
    assert [seconds for *_, seconds in rows] == [2700, 600, 300]


def test_default_phase1_agenda_empty_override_is_default():
    assert default_phase1_agenda({}) == default_phase1_agenda()


def test_default_phase1_agenda_minute_bounds_are_inclusive():
    rows = default_phase1_agenda({"rank": 1, "share": 240})
    assert [seconds for *_, seconds in rows] == [60, 14400, 1200]


@pytest.mark.parametrize("value", [0, -5, 241, 30.0, True, "30", None])
def test_default_phase1_agenda_refuses_bad_minutes(value):
    with pytest.raises(DomainError) as e:
        default_phase1_agenda({"share": value})
    assert code_of(e) == "invalid_segment"


@pytest.mark.parametrize("key", ["gap", "info", "Rank", ""])
def test_default_phase1_agenda_refuses_unknown_keys(key):
    with pytest.raises(DomainError) as e:
        default_phase1_agenda({key: 10})
    assert code_of(e) == "invalid_segment"


def test_default_phase1_agenda_returns_a_fresh_list():
    rows = default_phase1_agenda()
    rows.clear()
    assert len(default_phase1_agenda()) == 3


# ---------------------------------------------------------------------------------------------------------------
# new_segment / new_agenda / lookups
# ---------------------------------------------------------------------------------------------------------------


def seg(segment_id: str, timer: SegmentTimer = PENDING, kind: str = "info") -> Segment:
    return Segment(segment_id, kind, f"Title {segment_id}", "", timer)


def test_new_segment_validates_and_strips():
    assert new_segment("s1", "rank", "  Exercise 1 ", " Do it. ", 1800) == Segment(
        "s1",
        "rank",
        "Exercise 1",
        "Do it.",
        SegmentTimer(1800, "pending", None, 1800.0, 0.0, None, None, None),
    )


@pytest.mark.parametrize("segment_id", ["", None, 7])
def test_new_segment_refuses_bad_id(segment_id):
    with pytest.raises(DomainError) as e:
        new_segment(segment_id, "info", "T", "", 600)
    assert code_of(e) == "invalid_segment"


def test_new_segment_refuses_bad_fields():
    with pytest.raises(DomainError) as e:
        new_segment("s1", "quiz", "T", "", 600)
    assert code_of(e) == "invalid_segment"


def test_new_agenda_starts_on_the_first_segment():
    a = new_agenda([seg("a"), seg("b")])
    assert a == Agenda((seg("a"), seg("b")), "a")


def test_new_agenda_empty_has_no_current():
    assert new_agenda([]) == Agenda((), None)


def test_new_agenda_refuses_duplicate_ids():
    with pytest.raises(DomainError) as e:
        new_agenda([seg("a"), seg("a")])
    assert code_of(e) == "invalid_segment"


def test_new_agenda_from_default_rows():
    rows = default_phase1_agenda()
    a = new_agenda(new_segment(f"s{i}", *row) for i, row in enumerate(rows))
    assert [s.id for s in a.segments] == ["s0", "s1", "s2"]
    assert [s.kind for s in a.segments] == ["rank", "share", "consensus"]
    assert a.current_id == "s0"


def test_get_segment_and_not_found():
    a = new_agenda([seg("a"), seg("b")])
    assert get_segment(a, "b") == seg("b")
    with pytest.raises(DomainError) as e:
        get_segment(a, "zzz")
    assert code_of(e) == "not_found"


def test_current_segment():
    assert current_segment(Agenda((seg("a"), seg("b")), "b")) == seg("b")
    assert current_segment(Agenda((seg("a"),), None)) is None


def test_engine_does_not_care_about_kinds():
    # A kind added later flows through the engine without changes to it.
    a = Agenda((Segment("x", "future_kind", "Later", "", PENDING),), "x")
    a = start_current(a, 1000.0)
    assert a.segments[0].timer == RUNNING


# ---------------------------------------------------------------------------------------------------------------
# go_to
# ---------------------------------------------------------------------------------------------------------------


ARRIVED = dataclasses.replace(PENDING, started_at=1450.0)  # the room got there at 1450, clock not started


def test_go_to_finishes_a_running_current_and_does_not_start_the_target():
    a = Agenda((seg("a", RUNNING), seg("b")), "a")
    result = go_to(a, "b", 1450.0)
    assert result == Agenda((seg("a", DONE), seg("b", ARRIVED)), "b")


def test_go_to_with_start_clock_starts_the_target():
    a = Agenda((seg("a", RUNNING), seg("b")), "a")
    result = go_to(a, "b", 1450.0, start_clock=True)
    assert result.segments[0] == seg("a", DONE)
    assert result.segments[1].timer == SegmentTimer(600, "running", 2050.0, 600.0, 0.0, 1450.0, 1450.0, None)


def test_go_to_with_start_clock_resumes_a_segment_gone_back_to():
    a = Agenda((seg("a", DONE), seg("b", RUNNING)), "b")
    result = go_to(a, "a", 1450.0, start_clock=True)
    assert result.segments[0].timer == SegmentTimer(600, "running", 1600.0, 150.0, 450.0, 1450.0, 1000.0, None)


def test_leaving_a_segment_run_untimed_records_its_real_start_and_end():
    a = Agenda((seg("a", RUNNING), seg("b"), seg("c")), "a")
    a = go_to(a, "b", 1450.0)  # the facilitator moves on without starting b's clock
    a = go_to(a, "c", 2050.0, start_clock=True)
    b = a.segments[1].timer
    assert (b.status, b.started_at, b.ended_at) == ("done", 1450.0, 2050.0)
    assert recorded_seconds(b, 9999.0) == 600.0
    rows = {row["id"]: row for row in planned_vs_actual(a, 2100.0)}
    assert rows["b"]["status"] == "done" and rows["b"]["actual_seconds"] == 600.0
    assert rows["b"]["over_by_seconds"] == 0.0
    # A timed segment's actual is its clock's running time, pauses left out.
    assert rows["a"]["actual_seconds"] == 450.0


def test_go_to_finishes_a_paused_current():
    a = Agenda((seg("a", PAUSED), seg("b")), "a")
    result = go_to(a, "b", 5000.0)
    assert result.segments[0].timer == SegmentTimer(600, "done", None, 500.0, 100.0, None, 1000.0, 5000.0)
    assert result.current_id == "b"


def test_go_to_leaves_a_pending_current_the_room_never_reached_pending():
    a = Agenda((seg("a"), seg("b")), "a")
    assert go_to(a, "b", 1000.0) == Agenda((seg("a"), seg("b", dataclasses.replace(PENDING, started_at=1000.0))), "b")


def test_go_to_leaves_an_ended_current_alone():
    a = Agenda((seg("a", DONE), seg("b"), seg("c", SKIPPED)), "a")
    assert go_to(a, "b", 5000.0) == Agenda(
        (seg("a", DONE), seg("b", dataclasses.replace(PENDING, started_at=5000.0)), seg("c", SKIPPED)), "b"
    )


def test_go_to_a_done_segment_reopens_it_paused():
    a = Agenda((seg("a", DONE), seg("b", RUNNING)), "b")
    result = go_to(a, "a", 1450.0)
    assert result == Agenda(
        (
            seg("a", SegmentTimer(600, "paused", None, 150.0, 450.0, None, 1000.0, None)),
            seg("b", SegmentTimer(600, "done", None, 150.0, 450.0, None, 1000.0, 1450.0)),
        ),
        "a",
    )


def test_go_to_a_skipped_segment_reopens_it_paused():
    a = Agenda((seg("a"), seg("b", SKIPPED)), "a")
    result = go_to(a, "b", 2000.0)
    assert result.segments[1].timer == SegmentTimer(600, "paused", None, 600.0, 0.0, None, None, None)
    assert result.current_id == "b"


def test_go_to_when_no_current():
    a = Agenda((seg("a"), seg("b")), None)
    assert go_to(a, "b", 1000.0) == Agenda((seg("a"), seg("b", dataclasses.replace(PENDING, started_at=1000.0))), "b")


def test_go_to_the_running_current_changes_nothing():
    a = Agenda((seg("a", RUNNING), seg("b")), "a")
    assert go_to(a, "a", 1200.0) == a


def test_go_to_the_paused_current_changes_nothing():
    a = Agenda((seg("a", PAUSED),), "a")
    assert go_to(a, "a", 1200.0) == a


def test_go_to_the_done_current_reopens_it():
    a = Agenda((seg("a", DONE),), "a")
    assert go_to(a, "a", 3000.0).segments[0].timer.status == "paused"


def test_go_to_unknown_segment_is_refused_and_changes_nothing():
    a = Agenda((seg("a", RUNNING),), "a")
    with pytest.raises(DomainError) as e:
        go_to(a, "nope", 1200.0)
    assert code_of(e) == "not_found"
    assert a.segments[0].timer == RUNNING


def test_go_to_does_not_touch_other_segments():
    a = Agenda((seg("a", RUNNING), seg("b", PAUSED), seg("c")), "a")
    result = go_to(a, "c", 1450.0)
    assert result.segments[1] == seg("b", PAUSED)


# ---------------------------------------------------------------------------------------------------------------
# next_segment_id / go_next
# ---------------------------------------------------------------------------------------------------------------


def test_next_segment_id_is_the_following_pending_one():
    a = Agenda((seg("a", RUNNING), seg("b"), seg("c")), "a")
    assert next_segment_id(a) == "b"


def test_next_segment_id_skips_non_pending_segments():
    a = Agenda((seg("a", RUNNING), seg("b", DONE), seg("c", SKIPPED), seg("d", PAUSED), seg("e")), "a")
    assert next_segment_id(a) == "e"


def test_next_segment_id_ignores_pending_segments_before_current():
    a = Agenda((seg("a"), seg("b", RUNNING), seg("c", DONE)), "b")
    assert next_segment_id(a) is None


def test_next_segment_id_at_the_end_is_none():
    a = Agenda((seg("a", DONE), seg("b", RUNNING)), "b")
    assert next_segment_id(a) is None


def test_next_segment_id_without_current_is_the_first_pending():
    a = Agenda((seg("a", DONE), seg("b"), seg("c")), None)
    assert next_segment_id(a) == "b"


def test_next_segment_id_empty_agenda():
    assert next_segment_id(Agenda((), None)) is None


def test_go_next_finishes_current_and_moves_on():
    a = Agenda((seg("a", RUNNING), seg("b", DONE), seg("c")), "a")
    result = go_next(a, 1450.0)
    assert result == Agenda((seg("a", DONE), seg("b", DONE), seg("c", ARRIVED)), "c")
    started = go_next(a, 1450.0, start_clock=True)
    assert started.segments[2].timer.status == "running"


def test_go_next_at_the_end_is_refused():
    a = Agenda((seg("a", DONE), seg("b", RUNNING)), "b")
    with pytest.raises(DomainError) as e:
        go_next(a, 1450.0)
    assert code_of(e) == "no_next_segment"


def test_walk_through_the_whole_default_agenda():
    rows = default_phase1_agenda()
    a = new_agenda(new_segment(f"s{i}", *row) for i, row in enumerate(rows))
    a = start_current(a, 0.0)  # s0: 1800 planned
    a = go_next(a, 1900.0)  # 100 s over
    a = start_current(a, 2000.0)  # s1: 600 planned
    a = go_next(a, 2500.0)  # 100 s under
    a = start_current(a, 2500.0)  # s2: 1200 planned
    a = finish_current(a, 3700.0)  # exactly on time
    assert next_segment_id(a) is None
    assert [(r["id"], r["actual_seconds"], r["over_by_seconds"]) for r in planned_vs_actual(a, 9999.0)] == [
        ("s0", 1900.0, 100.0),
        ("s1", 500.0, -100.0),
        ("s2", 1200.0, 0.0),
    ]


# ---------------------------------------------------------------------------------------------------------------
# acting on the current segment
# ---------------------------------------------------------------------------------------------------------------


def test_start_current():
    a = Agenda((seg("a"), seg("b")), "b")
    assert start_current(a, 1000.0) == Agenda((seg("a"), seg("b", RUNNING)), "b")


def test_pause_current():
    a = Agenda((seg("a", RUNNING),), "a")
    assert pause_current(a, 1100.0) == Agenda((seg("a", PAUSED),), "a")


def test_resume_current():
    a = Agenda((seg("a", PAUSED),), "a")
    assert resume_current(a, 2000.0).segments[0].timer == SegmentTimer(
        600, "running", 2500.0, 500.0, 100.0, 2000.0, 1000.0, None
    )


def test_extend_current():
    a = Agenda((seg("a", RUNNING),), "a")
    assert extend_current(a, 120, 1100.0).segments[0].timer.deadline == 1720.0


def test_finish_current():
    a = Agenda((seg("a", RUNNING), seg("b")), "a")
    assert finish_current(a, 1450.0) == Agenda((seg("a", DONE), seg("b")), "a")


def test_current_actions_pass_refusals_through():
    a = Agenda((seg("a", RUNNING),), "a")
    with pytest.raises(DomainError) as e:
        start_current(a, 1100.0)
    assert code_of(e) == "already_running"
    with pytest.raises(DomainError) as e:
        resume_current(a, 1100.0)
    assert code_of(e) == "already_running"
    with pytest.raises(DomainError) as e:
        extend_current(a, 0, 1100.0)
    assert code_of(e) == "invalid_extension"
    with pytest.raises(DomainError) as e:
        pause_current(Agenda((seg("a", PAUSED),), "a"), 1100.0)
    assert code_of(e) == "not_running"
    with pytest.raises(DomainError) as e:
        finish_current(Agenda((seg("a"),), "a"), 1100.0)
    assert code_of(e) == "invalid_state"


def test_extend_current_while_paused():
    a = Agenda((seg("a", PAUSED),), "a")
    assert extend_current(a, 60, 1200.0).segments[0].timer.remaining_seconds == 560.0


@pytest.mark.parametrize(
    "action",
    [
        lambda a: start_current(a, 1000.0),
        lambda a: pause_current(a, 1000.0),
        lambda a: resume_current(a, 1000.0),
        lambda a: extend_current(a, 60, 1000.0),
        lambda a: finish_current(a, 1000.0),
    ],
    ids=["start", "pause", "resume", "extend", "finish"],
)
@pytest.mark.parametrize("agenda", [Agenda((), None), Agenda((seg("a"),), None)], ids=["empty", "no_current"])
def test_current_actions_need_a_current_segment(action, agenda):
    with pytest.raises(DomainError) as e:
        action(agenda)
    assert code_of(e) == "no_current_segment"


def test_current_actions_do_not_mutate_the_input():
    a = Agenda((seg("a"),), "a")
    start_current(a, 1000.0)
    assert a.segments[0].timer == PENDING


# ---------------------------------------------------------------------------------------------------------------
# planned_vs_actual
# ---------------------------------------------------------------------------------------------------------------


def test_planned_vs_actual_rows():
    late = SegmentTimer(600, "done", None, -150.0, 750.0, None, 1000.0, 1750.0)
    a = Agenda(
        (seg("a", DONE), seg("b", late), seg("c", RUNNING), seg("d", PAUSED), seg("e"), seg("f", SKIPPED)),
        "c",
    )
    assert planned_vs_actual(a, 1200.0) == [
        {
            "id": "a",
            "title": "Title a",
            "planned_seconds": 600,
            "actual_seconds": 450.0,
            "status": "done",
            "over_by_seconds": -150.0,
        },
        {
            "id": "b",
            "title": "Title b",
            "planned_seconds": 600,
            "actual_seconds": 750.0,
            "status": "done",
            "over_by_seconds": 150.0,
        },
        {
            "id": "c",
            "title": "Title c",
            "planned_seconds": 600,
            "actual_seconds": 200.0,
            "status": "running",
            "over_by_seconds": None,
        },
        {
            "id": "d",
            "title": "Title d",
            "planned_seconds": 600,
            "actual_seconds": 100.0,
            "status": "paused",
            "over_by_seconds": None,
        },
        {
            "id": "e",
            "title": "Title e",
            "planned_seconds": 600,
            "actual_seconds": 0.0,
            "status": "pending",
            "over_by_seconds": None,
        },
        {
            "id": "f",
            "title": "Title f",
            "planned_seconds": 600,
            "actual_seconds": 0.0,
            "status": "skipped",
            "over_by_seconds": None,
        },
    ]


def test_planned_vs_actual_compares_with_the_plan_not_the_extensions():
    t = finish(extend(RUNNING, 300, 1100.0), 1900.0)
    rows = planned_vs_actual(Agenda((seg("a", t),), "a"), 5000.0)
    assert rows[0]["planned_seconds"] == 600
    assert rows[0]["actual_seconds"] == 900.0
    assert rows[0]["over_by_seconds"] == 300.0


def test_planned_vs_actual_empty():
    assert planned_vs_actual(Agenda((), None), 0.0) == []


# ---------------------------------------------------------------------------------------------------------------
# edit_planned
# ---------------------------------------------------------------------------------------------------------------


def test_edit_planned_pending_remaining_follows():
    a = Agenda((seg("a"), seg("b")), "a")
    result = edit_planned(a, "b", 1500, 1000.0)
    assert result.segments[1].timer == SegmentTimer(1500, "pending", None, 1500.0, 0.0, None, None, None)
    assert result.segments[0] == seg("a")
    assert result.current_id == "a"


def test_edit_planned_running_keeps_time_used():
    a = Agenda((seg("a", RUNNING),), "a")
    t = edit_planned(a, "a", 900, 1100.0).segments[0].timer
    assert t.planned_seconds == 900
    assert t.deadline == 1900.0
    assert remaining(t, 1100.0) == 800.0
    assert actual_seconds(t, 1100.0) == 100.0


def test_edit_planned_running_shorter():
    a = Agenda((seg("a", RUNNING),), "a")
    t = edit_planned(a, "a", 120, 1100.0).segments[0].timer
    assert t.deadline == 1120.0
    assert remaining(t, 1100.0) == 20.0


def test_edit_planned_paused_keeps_time_used():
    a = Agenda((seg("a", PAUSED),), "a")
    t = edit_planned(a, "a", 1200, 2000.0).segments[0].timer
    assert t == SegmentTimer(1200, "paused", None, 1100.0, 100.0, None, 1000.0, None)


def test_edit_planned_done_changes_the_report():
    a = Agenda((seg("a", DONE),), "a")
    result = edit_planned(a, "a", 300, 5000.0)
    assert planned_vs_actual(result, 5000.0)[0]["over_by_seconds"] == 150.0


@pytest.mark.parametrize("seconds", [59, 14401, 0, -60, 600.5, True])
def test_edit_planned_refuses_out_of_bounds(seconds):
    a = Agenda((seg("a"),), "a")
    with pytest.raises(DomainError) as e:
        edit_planned(a, "a", seconds, 1000.0)
    assert code_of(e) == "invalid_segment"


def test_edit_planned_unknown_segment():
    with pytest.raises(DomainError) as e:
        edit_planned(Agenda((seg("a"),), "a"), "zzz", 600, 1000.0)
    assert code_of(e) == "not_found"


def test_module_exports_bounds():
    assert (ag.MIN_PLANNED_SECONDS, ag.MAX_PLANNED_SECONDS) == (60, 14400)
    assert (ag.MIN_EXTENSION_SECONDS, ag.MAX_EXTENSION_SECONDS) == (1, 7200)


# The opening segments (issue 17): the review of the top-line priorities and the optional discussion


def test_default_phase1_agenda_opens_with_the_review_when_asked():
    rows = default_phase1_agenda({"review": 15})
    assert [(kind, seconds) for kind, _, _, seconds in rows] == [
        ("review", 900), ("rank", 1800), ("share", 600), ("consensus", 1200),
    ]
    assert rows[0][1] == "Review of the top-line priorities"


def test_default_phase1_agenda_adds_the_discussion_after_the_review():
    rows = default_phase1_agenda({"review": 15, "discuss": 10})
    assert [kind for kind, *_ in rows] == ["review", "discuss", "rank", "share", "consensus"]
    for kind, title, instructions, seconds in rows:
        assert validate_segment_fields(kind, title, instructions, seconds)[0] == kind


def test_default_phase1_agenda_zero_minutes_leaves_an_opening_segment_out():
    assert default_phase1_agenda({"review": 0, "discuss": 0}) == default_phase1_agenda()


@pytest.mark.parametrize("value", [-1, 241, 1.5, True, "15", None])
def test_default_phase1_agenda_refuses_bad_opening_minutes(value):
    with pytest.raises(DomainError) as e:
        default_phase1_agenda({"review": value})
    assert code_of(e) == "invalid_segment"


@pytest.mark.parametrize(
    ("kinds", "index"),
    [
        (["review", "rank", "share"], 1),
        (["review", "discuss", "review", "rank"], 3),
        (["info", "rank", "share"], 1),
        (["rank"], 0),
        ([], 0),
        (["info", "gap"], 0),
    ],
)
def test_discussion_index(kinds, index):
    assert discussion_index(kinds) == index

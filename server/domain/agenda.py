"""The workshop agenda and its timers: pure data and pure functions.

The agenda is an ordered tuple of segments; the room is on one of them (``current_id``). Each segment carries a
timer that stores *deadlines*, never ticks: while running, the time left is ``deadline - now``, so any worker (or
the same one after a restart) computes the same answer from the stored state and the clock, and no background
loop is needed. While not running, ``remaining_seconds`` is authoritative.

Nothing here reads the clock or does I/O: every function that needs the time takes ``now`` (UNIX epoch seconds)
and returns a new value. Refusals raise ``DomainError`` and change nothing.

Timer statuses::

    pending --start--> running                (pending with started_at: the room is on it, clock not started)
    pending (room on it) --finish--> done --pause--> paused --resume/start--> running
    pending --skip--> skipped
    running/paused --finish--> done
    done/skipped --reopen--> paused

Negative remaining time means overtime ("Time's up"); the timer keeps counting so the room sees by how much.
The engine does not care about segment kinds: a kind is a label the clients use to pick a screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from server.domain.errors import DomainError

# "review": the opening review of the top-line priorities (the heat map and the lowest scores on the projector);
# "discuss": the optional discussion of potential priorities before Exercise 1.
SEGMENT_KINDS = ("info", "review", "discuss", "rank", "share", "consensus", "gap", "next_steps")
TIMER_STATUSES = ("pending", "running", "paused", "done", "skipped")

MIN_PLANNED_SECONDS = 60
MAX_PLANNED_SECONDS = 14400
MAX_TITLE_CHARS = 120
MAX_INSTRUCTIONS_CHARS = 1000
MIN_EXTENSION_SECONDS = 1
MAX_EXTENSION_SECONDS = 7200
# The set-up form asks for minutes; these bounds are the same as the seconds bounds above.
MIN_PLANNED_MINUTES = MIN_PLANNED_SECONDS // 60
MAX_PLANNED_MINUTES = MAX_PLANNED_SECONDS // 60

_ENDED = ("done", "skipped")
_ACTIVE = ("running", "paused")


# --------------------------------------------------------------------------------------------------------------
# Timer
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentTimer:
    planned_seconds: int
    status: str  # "pending" | "running" | "paused" | "done" | "skipped"
    deadline: float | None  # epoch seconds when running; None otherwise
    # Authoritative when not running. Pending: planned (+ extensions). Paused/done: what was left (may be < 0).
    remaining_seconds: float
    elapsed_seconds: float  # running time accumulated before the current run
    run_started_at: float | None  # start of the current run when running
    started_at: float | None  # first time it was started
    ended_at: float | None  # when it was finished or skipped; None while it can still run


def _is_int(value: object) -> bool:
    # bool is a subclass of int, but True is never a sensible number of seconds.
    return isinstance(value, int) and not isinstance(value, bool)


def new_timer(planned_seconds: int) -> SegmentTimer:
    """A pending timer with the whole planned time left.

    Only refuses nonsense (negative or non-integer); the product bounds for user input are checked by
    ``validate_segment_fields``.
    """
    if not _is_int(planned_seconds) or planned_seconds < 0:
        raise DomainError(
            "invalid_segment", "A part of the agenda needs a planned time of zero or more seconds."
        )
    return SegmentTimer(
        planned_seconds=planned_seconds,
        status="pending",
        deadline=None,
        remaining_seconds=float(planned_seconds),
        elapsed_seconds=0.0,
        run_started_at=None,
        started_at=None,
        ended_at=None,
    )


def _run_time(t: SegmentTimer, now: float) -> float:
    """Seconds of the current run; never negative, so a clock that steps back cannot give time back."""
    if t.status != "running" or t.run_started_at is None:
        return 0.0
    return max(0.0, now - t.run_started_at)


def _stopped(t: SegmentTimer, now: float, status: str) -> SegmentTimer:
    """Stop the current run: bank its time and freeze the time left."""
    return replace(
        t,
        status=status,
        deadline=None,
        remaining_seconds=remaining(t, now),
        elapsed_seconds=actual_seconds(t, now),
        run_started_at=None,
    )


def _refuse_ended(t: SegmentTimer, action: str) -> None:
    if t.status in _ENDED:
        raise DomainError(
            "invalid_state",
            f"This part of the agenda has ended. Go back to it before you {action}.",
        )


def start(t: SegmentTimer, now: float) -> SegmentTimer:
    """Start a pending timer, or carry on a paused one (same as ``resume``)."""
    if t.status == "running":
        raise DomainError("already_running", "The timer is already running.")
    _refuse_ended(t, "start it again")
    return replace(
        t,
        status="running",
        deadline=now + t.remaining_seconds,
        run_started_at=now,
        # A segment reopened after being skipped is paused without ever having started.
        started_at=now if t.started_at is None else t.started_at,
    )


def pause(t: SegmentTimer, now: float) -> SegmentTimer:
    """Stop the clock; what is left (possibly negative: overtime) is kept for ``resume``."""
    if t.status != "running":
        raise DomainError("not_running", "The timer is not running, so it cannot be paused.")
    return _stopped(t, now, "paused")


def resume(t: SegmentTimer, now: float) -> SegmentTimer:
    """Carry on a paused timer with the time it had left."""
    if t.status == "running":
        raise DomainError("already_running", "The timer is already running.")
    if t.status == "pending":
        raise DomainError("invalid_state", "This part of the agenda has not started yet. Start it instead.")
    _refuse_ended(t, "resume it")
    return start(t, now)


def extend(t: SegmentTimer, seconds: int, now: float) -> SegmentTimer:
    """Add time. ``planned_seconds`` is unchanged so the report can compare planned with actual."""
    if not _is_int(seconds) or not MIN_EXTENSION_SECONDS <= seconds <= MAX_EXTENSION_SECONDS:
        raise DomainError("invalid_extension", "You can add between 1 second and 2 hours at a time.")
    _refuse_ended(t, "add time")
    if t.status == "running":
        assert t.deadline is not None
        # Added to the deadline, not to "now": extending an overrun by 5 minutes leaves 5 minutes minus the overrun.
        return replace(t, deadline=t.deadline + seconds)
    return replace(t, remaining_seconds=t.remaining_seconds + seconds)


def finish(t: SegmentTimer, now: float) -> SegmentTimer:
    """End a running or paused segment, early or late, or one the room is doing without its clock."""
    if t.status == "pending":
        if t.started_at is not None:  # the room got there and did it untimed
            return replace(t, status="done", ended_at=now)
        raise DomainError(
            "invalid_state", "This part of the agenda has not started yet, so it cannot be finished."
        )
    if t.status in _ENDED:
        raise DomainError("invalid_state", "This part of the agenda has already ended.")
    return replace(_stopped(t, now, "done"), ended_at=now)


def skip(t: SegmentTimer, now: float) -> SegmentTimer:
    """Mark a segment that never started as skipped."""
    if t.status != "pending":
        raise DomainError(
            "invalid_state", "Only a part of the agenda that has not started yet can be skipped."
        )
    return replace(t, status="skipped", ended_at=now)


def reopen(t: SegmentTimer, now: float) -> SegmentTimer:
    """Bring back an ended segment, paused, with what it had left when it ended (may be zero or negative)."""
    if t.status not in _ENDED:
        raise DomainError(
            "invalid_state", "This part of the agenda has not ended, so there is nothing to reopen."
        )
    return replace(t, status="paused", deadline=None, run_started_at=None, ended_at=None)


def set_planned(t: SegmentTimer, planned_seconds: int) -> SegmentTimer:
    """Change the planned duration, keeping the time already used: the time left shifts by the difference."""
    if not _is_int(planned_seconds) or planned_seconds < 0:
        raise DomainError(
            "invalid_segment", "A part of the agenda needs a planned time of zero or more seconds."
        )
    difference = planned_seconds - t.planned_seconds
    if t.status == "running":
        assert t.deadline is not None
        return replace(t, planned_seconds=planned_seconds, deadline=t.deadline + difference)
    return replace(t, planned_seconds=planned_seconds, remaining_seconds=t.remaining_seconds + difference)


def remaining(t: SegmentTimer, now: float) -> float:
    """Seconds left; negative means overtime."""
    if t.status == "running" and t.deadline is not None:
        # Measured from the run start at the earliest, consistent with _run_time.
        reference = now if t.run_started_at is None else max(now, t.run_started_at)
        return t.deadline - reference
    return t.remaining_seconds


def actual_seconds(t: SegmentTimer, now: float) -> float:
    """Seconds the segment has actually been running, over all its runs."""
    return t.elapsed_seconds + _run_time(t, now)


def recorded_seconds(t: SegmentTimer, now: float) -> float:
    """How long the segment really took: its clock's running time, or, for one that ended without its clock
    ever running (the room did it untimed), the time from when the room got there to when it moved on."""
    ran = actual_seconds(t, now)
    if t.status == "done" and ran == 0 and t.started_at is not None and t.ended_at is not None:
        return max(0.0, t.ended_at - t.started_at)
    return ran


def is_times_up(t: SegmentTimer, now: float) -> bool:
    """True while a live (running or paused) segment has no time left."""
    return t.status in _ACTIVE and remaining(t, now) <= 0


# --------------------------------------------------------------------------------------------------------------
# Segments and the agenda
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    id: str
    kind: str
    title: str
    instructions: str
    timer: SegmentTimer


@dataclass(frozen=True)
class Agenda:
    segments: tuple[Segment, ...]
    current_id: str | None  # the segment the room is on


def validate_segment_fields(
    kind: str, title: str, instructions: str, planned_seconds: int
) -> tuple[str, str, str, int]:
    """Check a segment's fields against the product bounds.

    Returns them normalised (title and instructions stripped of surrounding spaces) so callers store exactly
    what was checked. Raises ``DomainError("invalid_segment")``.
    """
    if not isinstance(kind, str) or kind not in SEGMENT_KINDS:
        raise DomainError("invalid_segment", "That kind of agenda item is not known.")
    if not isinstance(title, str) or not 1 <= len(title.strip()) <= MAX_TITLE_CHARS:
        raise DomainError(
            "invalid_segment", f"Each agenda item needs a title of 1 to {MAX_TITLE_CHARS} characters."
        )
    if not isinstance(instructions, str) or len(instructions.strip()) > MAX_INSTRUCTIONS_CHARS:
        raise DomainError(
            "invalid_segment", f"Instructions can be at most {MAX_INSTRUCTIONS_CHARS} characters long."
        )
    if not _is_int(planned_seconds) or not MIN_PLANNED_SECONDS <= planned_seconds <= MAX_PLANNED_SECONDS:
        raise DomainError("invalid_segment", "Each agenda item must last between 1 minute and 4 hours.")
    return kind, title.strip(), instructions.strip(), planned_seconds


def new_segment(segment_id: str, kind: str, title: str, instructions: str, planned_seconds: int) -> Segment:
    """A validated, pending segment."""
    if not isinstance(segment_id, str) or not segment_id:
        raise DomainError("invalid_segment", "Each agenda item needs an id.")
    kind, title, instructions, planned_seconds = validate_segment_fields(
        kind, title, instructions, planned_seconds
    )
    return Segment(segment_id, kind, title, instructions, new_timer(planned_seconds))


def new_agenda(segments: Iterable[Segment]) -> Agenda:
    """An agenda whose room starts on the first segment (none when empty)."""
    segments = tuple(segments)
    ids = [s.id for s in segments]
    if len(set(ids)) != len(ids):
        raise DomainError("invalid_segment", "Two agenda items have the same id.")
    return Agenda(segments, ids[0] if ids else None)


REVIEW_TITLE = "Review of the top-line priorities"
REVIEW_INSTRUCTIONS = (
    "Look together at where the locality stands: the scores by level and the principles scored lowest. "
    "Bring in what pathway mapping and the local data showed."
)
DISCUSS_TITLE = "Discuss potential priorities"
DISCUSS_INSTRUCTIONS = (
    "Talk through which principles could become priorities, and why, before the tables choose their five."
)
DEFAULT_REVIEW_MINUTES = 15
DEFAULT_DISCUSS_MINUTES = 10

_DEFAULT_PHASE1 = (
    ("review", REVIEW_TITLE, REVIEW_INSTRUCTIONS),
    ("discuss", DISCUSS_TITLE, DISCUSS_INSTRUCTIONS),
    (
        "rank",
        "Exercise 1: your table's top five",
        "With your table, choose the five principles that matter most for your locality and put them in order. "
        "Tap Agree when your table is happy.",
    ),
    (
        "share",
        "Exercise 2: share with the room",
        "Each table tells the room its top five and why. Listen for what other tables chose differently.",
    ),
    (
        "consensus",
        "Exercise 3: agree the room's top five",
        "Look at all the tables' choices together and agree, as one room, the five priorities for your locality.",
    ),
)
_DEFAULT_MINUTES = {"rank": 30, "share": 10, "consensus": 20}
# The opening segments are optional: 0 minutes (the default here) leaves one out. The set-up form asks for the
# review by default (DEFAULT_REVIEW_MINUTES) and leaves the discussion out; the API adds either only when asked,
# so a script or an older client gets the agenda it always had.
_OPTIONAL_KINDS = ("review", "discuss")


def default_phase1_agenda(
    durations_minutes: Mapping[str, int] | None = None,
) -> list[tuple[str, str, str, int]]:
    """The Phase 1 agenda as ``(kind, title, instructions, planned_seconds)`` tuples.

    ``durations_minutes`` overrides some of the default minutes by kind (``rank``, ``share``, ``consensus``,
    each 1..240; ``review``, ``discuss``, each 0..240, where 0 leaves the segment out, as it is by default);
    other keys are refused so a typo is not silently ignored.
    """
    minutes = dict(_DEFAULT_MINUTES)
    minutes.update({kind: 0 for kind in _OPTIONAL_KINDS})
    for kind, value in (durations_minutes or {}).items():
        if kind not in minutes:
            raise DomainError("invalid_segment", "Durations can only be set for the parts of the default agenda.")
        least = 0 if kind in _OPTIONAL_KINDS else MIN_PLANNED_MINUTES
        if not _is_int(value) or not least <= value <= MAX_PLANNED_MINUTES:
            raise DomainError("invalid_segment", "Each exercise must last between 1 minute and 4 hours.")
        minutes[kind] = value
    return [
        (kind, title, instructions, minutes[kind] * 60)
        for kind, title, instructions in _DEFAULT_PHASE1
        if minutes[kind] > 0
    ]


def discussion_index(kinds: Sequence[str]) -> int:
    """Where an added "Discuss potential priorities" goes among segments of these kinds (in agenda order): after
    the last opening review, else before Exercise 1, else first."""
    reviews = [i for i, kind in enumerate(kinds) if kind == "review"]
    if reviews:
        return reviews[-1] + 1
    return kinds.index("rank") if "rank" in kinds else 0


def get_segment(agenda: Agenda, segment_id: str) -> Segment:
    for segment in agenda.segments:
        if segment.id == segment_id:
            return segment
    raise DomainError(
        "not_found", "That part of the agenda no longer exists. Refresh to see the latest agenda."
    )


def current_segment(agenda: Agenda) -> Segment | None:
    if agenda.current_id is None:
        return None
    return get_segment(agenda, agenda.current_id)


def _with_timer(agenda: Agenda, segment_id: str, timer: SegmentTimer) -> Agenda:
    segments = tuple(replace(s, timer=timer) if s.id == segment_id else s for s in agenda.segments)
    return replace(agenda, segments=segments)


def go_to(agenda: Agenda, segment_id: str, now: float, *, start_clock: bool = False) -> Agenda:
    """Move the room to ``segment_id``.

    The segment being left is finished if it was running or paused, and also if the room was on it without
    starting its clock (it ran untimed: it ends now, with the time the room got there as its start). The target
    becomes current and records when the room got there; with ``start_clock`` its clock starts (or carries on,
    for a segment gone back to), otherwise the facilitator starts it. If it had ended it is reopened.
    Going to the current segment leaves it as it is (reopening it if it had ended).
    """
    target = get_segment(agenda, segment_id)
    leaving = current_segment(agenda)
    if leaving is not None and leaving.id != segment_id:
        if leaving.timer.status in _ACTIVE:
            agenda = _with_timer(agenda, leaving.id, finish(leaving.timer, now))
        elif leaving.timer.status == "pending" and leaving.timer.started_at is not None:
            agenda = _with_timer(agenda, leaving.id, finish(leaving.timer, now))
    timer = target.timer
    if timer.status in _ENDED:
        timer = reopen(timer, now)
    if leaving is None or leaving.id != segment_id:
        if timer.status == "pending" and timer.started_at is None:
            timer = replace(timer, started_at=now)  # the room is here from now, timed or not
        if start_clock and timer.status != "running":
            timer = start(timer, now)
    if timer != target.timer:
        agenda = _with_timer(agenda, segment_id, timer)
    return replace(agenda, current_id=segment_id)


def next_segment_id(agenda: Agenda) -> str | None:
    """The first pending segment after the current one (from the top when there is no current one)."""
    ids = [s.id for s in agenda.segments]
    begin = ids.index(agenda.current_id) + 1 if agenda.current_id in ids else 0
    for segment in agenda.segments[begin:]:
        if segment.timer.status == "pending":
            return segment.id
    return None


def go_next(agenda: Agenda, now: float, *, start_clock: bool = False) -> Agenda:
    """Finish the current segment and move to the next pending one (the facilitator's "Next")."""
    target = next_segment_id(agenda)
    if target is None:
        raise DomainError(
            "no_next_segment", "There is nothing left on the agenda after this. Use Finish to end this part."
        )
    return go_to(agenda, target, now, start_clock=start_clock)


def _act_on_current(agenda: Agenda, action: Callable[[SegmentTimer], SegmentTimer]) -> Agenda:
    segment = current_segment(agenda)
    if segment is None:
        raise DomainError("no_current_segment", "Choose a part of the agenda first.")
    return _with_timer(agenda, segment.id, action(segment.timer))


def start_current(agenda: Agenda, now: float) -> Agenda:
    return _act_on_current(agenda, lambda t: start(t, now))


def pause_current(agenda: Agenda, now: float) -> Agenda:
    return _act_on_current(agenda, lambda t: pause(t, now))


def resume_current(agenda: Agenda, now: float) -> Agenda:
    return _act_on_current(agenda, lambda t: resume(t, now))


def extend_current(agenda: Agenda, seconds: int, now: float) -> Agenda:
    return _act_on_current(agenda, lambda t: extend(t, seconds, now))


def finish_current(agenda: Agenda, now: float) -> Agenda:
    return _act_on_current(agenda, lambda t: finish(t, now))


def planned_vs_actual(agenda: Agenda, now: float) -> list[dict]:
    """One row per segment for the end-of-workshop report. ``over_by_seconds`` is negative when it ran short."""
    rows = []
    for segment in agenda.segments:
        actual = recorded_seconds(segment.timer, now)
        planned = segment.timer.planned_seconds
        rows.append(
            {
                "id": segment.id,
                "title": segment.title,
                "planned_seconds": planned,
                "actual_seconds": actual,
                "status": segment.timer.status,
                "over_by_seconds": actual - planned if segment.timer.status == "done" else None,
            }
        )
    return rows


def edit_planned(agenda: Agenda, segment_id: str, planned_seconds: int, now: float) -> Agenda:
    """Change a segment's planned duration (any status), keeping the time already used."""
    if not _is_int(planned_seconds) or not MIN_PLANNED_SECONDS <= planned_seconds <= MAX_PLANNED_SECONDS:
        raise DomainError("invalid_segment", "Each agenda item must last between 1 minute and 4 hours.")
    segment = get_segment(agenda, segment_id)
    return _with_timer(agenda, segment_id, set_planned(segment.timer, planned_seconds))


def skip_segment(agenda: Agenda, segment_id: str, now: float) -> Agenda:
    """Mark a segment that has not started as skipped (the room will not do it); the room stays where it is."""
    segment = get_segment(agenda, segment_id)
    return _with_timer(agenda, segment_id, skip(segment.timer, now))

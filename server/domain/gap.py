"""Where the gap-analysis block goes in the agenda once the room has confirmed its priorities. Pure.

One ``gap`` segment per confirmed priority (20 minutes each by default; the facilitator edits durations, runs
them in another order with "Go to", or skips one), then one ``next_steps`` segment after the block.

- A pending ``gap`` segment that has no priority yet (a custom agenda may hold placeholders) takes the next
  priority that has none, in the room's order.
- A priority that already has a gap segment gets no other one: confirming again (after an undo, with another
  five) adds segments only for the new priorities and keeps everything else, worksheets included.
- New gap segments go after the last gap segment; when there is none, before the first ``next_steps`` segment,
  else at the end. A ``next_steps`` segment is added after the block when the agenda has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_GAP_SECONDS = 20 * 60
DEFAULT_NEXT_STEPS_SECONDS = 20 * 60
GAP_INSTRUCTIONS = (
    "Fill in your table's worksheet for this priority: what is in place, what is in development, the gaps "
    "(put yourself in the shoes of a child or young person in your locality), training and recommendations."
)
NEXT_STEPS_TITLE = "Next steps"
NEXT_STEPS_INSTRUCTIONS = (
    "Agree the actions: what, for which priority, who owns it and by when. Note how the next steps will be "
    "shared across the system, and the date of the redesign workshop."
)
MAX_TITLE = 120


@dataclass(frozen=True)
class Placed:
    """A segment already in the agenda, in agenda order."""

    id: str
    kind: str
    status: str
    subject: str | None


@dataclass(frozen=True)
class GapPlan:
    # Segment ids in their new order, with ("gap", priority_id) and ("next_steps", None) for new segments.
    order: tuple[tuple[str, str | None], ...]
    assign: dict[str, str]  # existing placeholder gap segment id -> priority id
    new_gaps: tuple[str, ...]
    add_next_steps: bool

    @property
    def changes_anything(self) -> bool:
        return bool(self.assign or self.new_gaps or self.add_next_steps)


def gap_title(priority_name: str) -> str:
    title = f"Gap analysis: {priority_name}"
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def plan_gap_segments(segments: Sequence[Placed], priorities: Sequence[str]) -> GapPlan:
    covered = {s.subject for s in segments if s.kind == "gap" and s.subject}
    waiting = [p for p in priorities if p not in covered]
    assign: dict[str, str] = {}
    for s in segments:
        if s.kind == "gap" and not s.subject and s.status == "pending" and waiting:
            assign[s.id] = waiting.pop(0)
    new_gaps = tuple(waiting)
    has_next_steps = any(s.kind == "next_steps" for s in segments)
    order: list[tuple[str, str | None]] = [("existing", s.id) for s in segments]
    gap_indexes = [i for i, s in enumerate(segments) if s.kind == "gap"]
    if gap_indexes:
        at = gap_indexes[-1] + 1
    else:
        next_steps = [i for i, s in enumerate(segments) if s.kind == "next_steps"]
        at = next_steps[0] if next_steps else len(segments)
    inserted = [("gap", p) for p in new_gaps]
    if not has_next_steps and (new_gaps or gap_indexes or assign):
        inserted.append(("next_steps", None))
    order[at:at] = inserted
    return GapPlan(tuple(order), assign, new_gaps, not has_next_steps and ("next_steps", None) in inserted)

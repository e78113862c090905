"""One table's shared top five, and the edits the table's phones make to it.

A ranking is an ordered tuple of at most ``capacity`` distinct principle ids, best first. Every real change bumps
``revision``; every edit names the revision it was made on (``base_revision``). Several phones edit at once, and
the server applies their edits one at a time, so an edit may arrive *stale* (made on an older revision). A stale
edit is applied on top of the current ranking when what it meant is still clear (add an absent principle, remove
one, move one that is still there); it is a harmless no-op when it is already satisfied; and it is refused with
``Conflict`` when it is not (a whole new order made on an order that no longer exists, or moving a principle
someone else removed).

Pure: no I/O, no clock. Functions return new values; refusals raise ``DomainError`` and change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from server.domain.errors import Conflict, DomainError

MAX_CAPACITY = 5


@dataclass(frozen=True)
class Ranking:
    items: tuple[str, ...]
    revision: int  # +1 on every real change
    agreed: bool


@dataclass(frozen=True)
class Add:
    principle_id: str
    index: int | None = None  # None = at the end


@dataclass(frozen=True)
class Remove:
    principle_id: str


@dataclass(frozen=True)
class Move:
    principle_id: str
    to_index: int


@dataclass(frozen=True)
class Replace:
    items: tuple[str, ...]  # a whole new order (e.g. after a drag)


Edit = Add | Remove | Move | Replace


@dataclass(frozen=True)
class EditOutcome:
    ranking: Ranking
    changed: bool  # False when the edit was already satisfied (idempotent no-op)
    rebased: bool  # True when a stale edit was applied on top of a newer revision


def new_ranking() -> Ranking:
    """An empty draft ranking, revision 0."""
    return Ranking(items=(), revision=0, agreed=False)


def _is_int(value: object) -> bool:
    # bool is a subclass of int, but True is never a position or a revision.
    return isinstance(value, int) and not isinstance(value, bool)


def capacity_for(principle_count: int) -> int:
    """How many principles make a full top five: five, or all of them when there are fewer."""
    if not _is_int(principle_count) or principle_count < 0:
        raise DomainError("invalid_capacity", "The number of principles must be zero or more.")
    return min(MAX_CAPACITY, principle_count)


def _check_capacity(capacity: int) -> None:
    if not _is_int(capacity) or not 0 <= capacity <= MAX_CAPACITY:
        raise DomainError("invalid_capacity", f"A top five holds between 0 and {MAX_CAPACITY} principles.")


def _check_base_revision(r: Ranking, base_revision: int) -> None:
    if not _is_int(base_revision) or not 0 <= base_revision <= r.revision:
        raise DomainError(
            "invalid_revision",
            "Your screen is out of step with your table's list. Refresh to see the latest.",
        )


def _stale_conflict() -> Conflict:
    return Conflict(
        "stale_revision",
        "Someone at your table changed the list just now. Check the new order and try again.",
    )


def _check_known(principle_id: object, known_ids: frozenset[str]) -> None:
    if not isinstance(principle_id, str) or principle_id not in known_ids:
        raise DomainError("unknown_principle", "That principle is not part of this workshop.")


def _full_error() -> DomainError:
    return DomainError("ranking_full", "Your top five is full. Remove one first.")


def _invalid_index() -> DomainError:
    return DomainError("invalid_index", "That position is not in your list.")


def _add(items: tuple[str, ...], edit: Add, known_ids: frozenset[str], capacity: int) -> tuple[str, ...]:
    _check_known(edit.principle_id, known_ids)
    if edit.index is not None and not _is_int(edit.index):
        raise _invalid_index()
    if edit.principle_id in items:
        # "Make sure it is in": already there, whatever the index (a double tap, or someone else added it).
        return items
    if len(items) >= capacity:
        raise _full_error()
    # Clamped, fresh or stale: the list may have shrunk since the phone drew it.
    index = len(items) if edit.index is None else min(max(edit.index, 0), len(items))
    return items[:index] + (edit.principle_id,) + items[index:]


def _remove(items: tuple[str, ...], edit: Remove, known_ids: frozenset[str]) -> tuple[str, ...]:
    _check_known(edit.principle_id, known_ids)
    # Removing one that is already gone is satisfied as it stands.
    return tuple(item for item in items if item != edit.principle_id)


def _move(items: tuple[str, ...], edit: Move, known_ids: frozenset[str], stale: bool) -> tuple[str, ...]:
    _check_known(edit.principle_id, known_ids)
    # A negative position is never right on any revision: a malformed request, not a race.
    if not _is_int(edit.to_index) or edit.to_index < 0:
        raise _invalid_index()
    if edit.principle_id not in items:
        if stale:
            raise _stale_conflict()  # someone removed it since: what was meant is no longer clear
        raise DomainError("not_in_ranking", "That principle is not in your top five.")
    last = len(items) - 1
    if edit.to_index > last:
        if not stale:
            raise _invalid_index()
        to_index = last  # the list shrank since the phone drew it
    else:
        to_index = edit.to_index
    rest = tuple(item for item in items if item != edit.principle_id)
    return rest[:to_index] + (edit.principle_id,) + rest[to_index:]


def _replace(
    items: tuple[str, ...], edit: Replace, known_ids: frozenset[str], capacity: int, stale: bool
) -> tuple[str, ...]:
    # A plain string is a Sequence too; refuse it rather than treat each letter as an id.
    if isinstance(edit.items, str) or not isinstance(edit.items, Sequence):
        raise DomainError("invalid_edit", "That change to your list was not understood.")
    new_items = tuple(edit.items)
    for principle_id in new_items:
        _check_known(principle_id, known_ids)
    if len(set(new_items)) != len(new_items):
        raise DomainError("duplicate_principle", "Each principle can only appear once in your top five.")
    if len(new_items) > capacity:
        raise _full_error()
    if new_items == items:
        return items
    if stale:
        raise _stale_conflict()  # made on an order that no longer exists
    return new_items


def apply_edit(
    r: Ranking, edit: Edit, base_revision: int, known_ids: frozenset[str], capacity: int
) -> EditOutcome:
    """Apply one edit made on ``base_revision``.

    Any edit that leaves the items as they were is a no-op: same ranking, same revision, ``changed`` False.
    """
    _check_capacity(capacity)
    _check_base_revision(r, base_revision)
    if r.agreed:
        # Refused even when it would change nothing: a stray tap must never un-agree a table.
        raise DomainError(
            "ranking_agreed", "This table's top five is already agreed. Reopen it to make changes."
        )
    stale = base_revision < r.revision
    if isinstance(edit, Add):
        new_items = _add(r.items, edit, known_ids, capacity)
    elif isinstance(edit, Remove):
        new_items = _remove(r.items, edit, known_ids)
    elif isinstance(edit, Move):
        new_items = _move(r.items, edit, known_ids, stale)
    elif isinstance(edit, Replace):
        new_items = _replace(r.items, edit, known_ids, capacity, stale)
    else:
        raise DomainError("invalid_edit", "That change to your list was not understood.")
    if new_items == r.items:
        return EditOutcome(ranking=r, changed=False, rebased=False)
    return EditOutcome(
        ranking=replace(r, items=new_items, revision=r.revision + 1),
        changed=True,
        rebased=stale,
    )


def agree(r: Ranking, capacity: int, base_revision: int | None = None) -> Ranking:
    """Mark the ranking as the table's agreed top five; needs exactly ``capacity`` principles.

    Already agreed: returned unchanged (a second tap is harmless). With ``base_revision``, agreeing to a list
    that changed since the phone drew it is refused with ``Conflict``: the table must agree on what it saw.
    """
    _check_capacity(capacity)
    if base_revision is not None:
        _check_base_revision(r, base_revision)
    if r.agreed:
        return r
    if base_revision is not None and base_revision < r.revision:
        raise _stale_conflict()
    if len(r.items) < capacity:
        noun = "principle" if capacity == 1 else "principles"
        raise DomainError("ranking_incomplete", f"Choose {capacity} {noun} before you agree.")
    if len(r.items) > capacity:
        raise DomainError("ranking_full", f"Your list has more than {capacity}. Remove one before you agree.")
    return replace(r, agreed=True, revision=r.revision + 1)


def reopen(r: Ranking, base_revision: int | None = None) -> Ranking:
    """Turn an agreed ranking back into a draft so the table can change it; a draft is returned unchanged.

    With ``base_revision``, a reopen made on an older revision is refused with ``Conflict``: it may come from a
    phone that has not seen the table re-agree, and a stray tap must not un-agree.
    """
    if base_revision is not None:
        _check_base_revision(r, base_revision)
    if not r.agreed:
        return r
    if base_revision is not None and base_revision < r.revision:
        raise _stale_conflict()
    return replace(r, agreed=False, revision=r.revision + 1)

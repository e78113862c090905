"""Tests for server.domain.ranking: fresh and stale edits, no-ops, refusals, agree and reopen.

Principle ids are single letters; expected orders are worked out by hand and written literally.
"""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from server.domain.errors import Conflict, DomainError
from server.domain.ranking import (
    MAX_CAPACITY,
    Add,
    EditOutcome,
    Move,
    Ranking,
    Remove,
    Replace,
    agree,
    apply_edit,
    capacity_for,
    new_ranking,
    reopen,
)

KNOWN = frozenset({"a", "b", "c", "d", "e", "f", "g"})
CAP = 5


def R(items: str, revision: int, agreed: bool = False) -> Ranking:  # noqa: N802 - reads like a constructor
    """Ranking from a string of one-letter ids: R("abc", 3) -> items ("a", "b", "c")."""
    return Ranking(tuple(items), revision, agreed)


def edit(r: Ranking, e, base: int | None = None, capacity: int = CAP) -> EditOutcome:
    return apply_edit(r, e, r.revision if base is None else base, KNOWN, capacity)


def refusal(r: Ranking, e, base: int | None = None, capacity: int = CAP) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        edit(r, e, base, capacity)
    return excinfo.value


# ---------------------------------------------------------------------------------------------------------------
# errors module
# ---------------------------------------------------------------------------------------------------------------


def test_domain_error_carries_code_and_message():
    err = DomainError("ranking_full", "Your top five is full. Remove one first.")
    assert err.code == "ranking_full"
    assert err.message == "Your top five is full. Remove one first."
    assert str(err) == "ranking_full: Your top five is full. Remove one first."
    assert isinstance(err, Exception)


def test_conflict_is_a_domain_error():
    err = Conflict("stale_revision", "Changed.")
    assert isinstance(err, DomainError)
    assert (err.code, err.message) == ("stale_revision", "Changed.")


def test_errors_survive_pickling():
    err = pickle.loads(pickle.dumps(Conflict("stale_revision", "Changed.")))
    assert type(err) is Conflict
    assert (err.code, err.message) == ("stale_revision", "Changed.")


# ---------------------------------------------------------------------------------------------------------------
# capacity_for / new_ranking
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "expected"), [(0, 0), (1, 1), (4, 4), (5, 5), (6, 5), (8, 5), (60, 5)])
def test_capacity_for(count, expected):
    assert capacity_for(count) == expected


@pytest.mark.parametrize("count", [-1, 2.0, True, "5", None])
def test_capacity_for_refuses_nonsense(count):
    with pytest.raises(DomainError) as e:
        capacity_for(count)
    assert e.value.code == "invalid_capacity"


def test_new_ranking_is_an_empty_draft():
    assert new_ranking() == Ranking((), 0, False)
    assert MAX_CAPACITY == 5


def test_ranking_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        R("a", 1).agreed = True  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------------------
# Add (fresh)
# ---------------------------------------------------------------------------------------------------------------


def test_add_to_empty():
    assert edit(new_ranking(), Add("a")) == EditOutcome(R("a", 1), changed=True, rebased=False)


def test_add_appends_by_default():
    assert edit(R("ab", 2), Add("c")) == EditOutcome(R("abc", 3), True, False)


@pytest.mark.parametrize(
    ("index", "expected"),
    [(0, "cab"), (1, "acb"), (2, "abc"), (3, "abc"), (99, "abc"), (-1, "cab"), (-99, "cab")],
)
def test_add_at_index_is_clamped(index, expected):
    assert edit(R("ab", 2), Add("c", index)).ranking == R(expected, 3)


def test_add_present_is_a_no_op():
    r = R("abc", 3)
    assert edit(r, Add("b")) == EditOutcome(r, changed=False, rebased=False)


def test_add_present_with_another_index_does_not_move_it():
    r = R("abc", 3)
    assert edit(r, Add("c", 0)) == EditOutcome(r, False, False)


def test_add_present_when_full_is_a_no_op_not_full():
    r = R("abcde", 5)
    assert edit(r, Add("e")) == EditOutcome(r, False, False)


def test_add_up_to_capacity_then_full():
    r = R("abcd", 4)
    r = edit(r, Add("e")).ranking
    assert r == R("abcde", 5)
    err = refusal(r, Add("f"))
    assert err.code == "ranking_full"
    assert err.message == "Your top five is full. Remove one first."


def test_add_when_full_with_an_index_is_still_full():
    assert refusal(R("abcde", 5), Add("f", 0)).code == "ranking_full"


def test_add_with_a_smaller_capacity():
    assert edit(R("ab", 2), Add("c"), capacity=3).ranking == R("abc", 3)
    assert refusal(R("abc", 3), Add("d"), capacity=3).code == "ranking_full"


def test_add_with_zero_capacity_is_full():
    assert refusal(new_ranking(), Add("a"), capacity=0).code == "ranking_full"


@pytest.mark.parametrize("principle_id", ["z", "", "A", 5, None])
def test_add_unknown_principle(principle_id):
    assert refusal(R("ab", 2), Add(principle_id)).code == "unknown_principle"


@pytest.mark.parametrize("index", ["1", 1.0, True])
def test_add_with_a_non_integer_index(index):
    assert refusal(R("ab", 2), Add("c", index)).code == "invalid_index"


# ---------------------------------------------------------------------------------------------------------------
# Remove (fresh)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("pid", "expected"), [("a", "bc"), ("b", "ac"), ("c", "ab")])
def test_remove(pid, expected):
    assert edit(R("abc", 3), Remove(pid)) == EditOutcome(R(expected, 4), True, False)


def test_remove_the_last_one_left():
    assert edit(R("a", 1), Remove("a")).ranking == R("", 2)


def test_remove_from_a_full_ranking_makes_room():
    r = edit(R("abcde", 5), Remove("c")).ranking
    assert edit(r, Add("f")).ranking == R("abdef", 7)


def test_remove_absent_is_a_no_op():
    r = R("abc", 3)
    assert edit(r, Remove("d")) == EditOutcome(r, False, False)


def test_remove_from_empty_is_a_no_op():
    r = new_ranking()
    assert edit(r, Remove("a")) == EditOutcome(r, False, False)


@pytest.mark.parametrize("principle_id", ["z", 3, None])
def test_remove_unknown_principle(principle_id):
    assert refusal(R("abc", 3), Remove(principle_id)).code == "unknown_principle"


# ---------------------------------------------------------------------------------------------------------------
# Move (fresh)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pid", "to_index", "expected"),
    [
        ("d", 0, "dabc"),
        ("a", 3, "bcda"),
        ("b", 2, "acbd"),
        ("c", 1, "acbd"),
        ("a", 1, "bacd"),
        ("d", 2, "abdc"),
    ],
)
def test_move(pid, to_index, expected):
    assert edit(R("abcd", 4), Move(pid, to_index)) == EditOutcome(R(expected, 5), True, False)


@pytest.mark.parametrize(("pid", "to_index"), [("a", 0), ("c", 2), ("d", 3)])
def test_move_to_where_it_is_is_a_no_op(pid, to_index):
    r = R("abcd", 4)
    assert edit(r, Move(pid, to_index)) == EditOutcome(r, False, False)


def test_move_the_only_item():
    r = R("a", 1)
    assert edit(r, Move("a", 0)) == EditOutcome(r, False, False)


@pytest.mark.parametrize("to_index", [4, 5, 99, -1, -4])
def test_move_outside_the_list_is_refused_when_fresh(to_index):
    assert refusal(R("abcd", 4), Move("a", to_index)).code == "invalid_index"


@pytest.mark.parametrize("to_index", ["1", 1.0, True, None])
def test_move_with_a_non_integer_index(to_index):
    assert refusal(R("abcd", 4), Move("a", to_index)).code == "invalid_index"


def test_move_absent_when_fresh_is_refused():
    assert refusal(R("abcd", 4), Move("e", 0)).code == "not_in_ranking"


def test_move_unknown_principle():
    assert refusal(R("abcd", 4), Move("z", 0)).code == "unknown_principle"


# ---------------------------------------------------------------------------------------------------------------
# Replace (fresh)
# ---------------------------------------------------------------------------------------------------------------


def test_replace_with_a_new_order():
    assert edit(R("abc", 3), Replace(("c", "a", "b"))) == EditOutcome(R("cab", 4), True, False)


def test_replace_with_other_principles():
    assert edit(R("abc", 3), Replace(("g", "f"))).ranking == R("gf", 4)


def test_replace_accepts_a_list():
    assert edit(R("abc", 3), Replace(["b", "a"])).ranking == R("ba", 4)  # type: ignore[arg-type]


def test_replace_with_nothing_clears():
    assert edit(R("abc", 3), Replace(())).ranking == R("", 4)


def test_replace_with_the_same_order_is_a_no_op():
    r = R("abc", 3)
    assert edit(r, Replace(("a", "b", "c"))) == EditOutcome(r, False, False)


def test_replace_up_to_capacity():
    assert edit(new_ranking(), Replace(tuple("edcba"))).ranking == R("edcba", 1)


def test_replace_with_duplicates():
    assert refusal(R("abc", 3), Replace(("a", "b", "a"))).code == "duplicate_principle"


def test_replace_with_an_unknown_id():
    assert refusal(R("abc", 3), Replace(("a", "z"))).code == "unknown_principle"


def test_replace_with_a_non_string_id():
    assert refusal(R("abc", 3), Replace(("a", 7))).code == "unknown_principle"  # type: ignore[arg-type]


def test_replace_with_more_than_capacity():
    assert refusal(R("abc", 3), Replace(tuple("abcdef"))).code == "ranking_full"
    assert refusal(R("ab", 2), Replace(tuple("abcd")), capacity=3).code == "ranking_full"


@pytest.mark.parametrize("items", ["abc", None, 5])
def test_replace_with_a_non_sequence(items):
    assert refusal(R("abc", 3), Replace(items)).code == "invalid_edit"  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------
# base_revision, agreed, odd inputs
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("base", [4, 100, -1, "3", 3.0, None])
def test_invalid_base_revision(base):
    r = R("abc", 3)
    with pytest.raises(DomainError) as e:
        apply_edit(r, Add("d"), base, KNOWN, CAP)
    assert e.value.code == "invalid_revision"


def test_bool_base_revision_is_refused():
    with pytest.raises(DomainError) as e:
        apply_edit(R("a", 1), Add("b"), True, KNOWN, CAP)
    assert e.value.code == "invalid_revision"


def test_base_revision_zero_on_a_new_ranking_is_fresh():
    assert edit(new_ranking(), Add("a"), base=0).rebased is False


@pytest.mark.parametrize(
    "e",
    [Add("f"), Add("a"), Remove("a"), Remove("f"), Move("a", 1), Replace(tuple("abcde"))],
    ids=["add", "add_present", "remove", "remove_absent", "move", "replace_same"],
)
def test_editing_an_agreed_ranking_is_refused_even_when_nothing_would_change(e):
    r = R("abcde", 6, agreed=True)
    err = refusal(r, e)
    assert err.code == "ranking_agreed"
    assert err.message == "This table's top five is already agreed. Reopen it to make changes."


def test_stale_edit_on_an_agreed_ranking_is_refused_as_agreed():
    assert refusal(R("abcde", 6, agreed=True), Remove("a"), base=2).code == "ranking_agreed"


def test_invalid_revision_is_checked_before_agreed():
    assert refusal(R("abcde", 6, agreed=True), Remove("a"), base=7).code == "invalid_revision"


def test_unknown_edit_type():
    assert refusal(R("abc", 3), "add a").code == "invalid_edit"


@pytest.mark.parametrize("capacity", [-1, 6, 2.0, True])
def test_invalid_capacity(capacity):
    assert refusal(R("abc", 3), Add("d"), capacity=capacity).code == "invalid_capacity"


def test_apply_edit_does_not_mutate_the_input():
    r = R("abc", 3)
    edit(r, Move("c", 0))
    assert r == R("abc", 3)


def test_no_op_returns_the_same_ranking_object():
    r = R("abc", 3)
    assert edit(r, Remove("e")).ranking is r


# ---------------------------------------------------------------------------------------------------------------
# stale edits (base_revision < revision)
# ---------------------------------------------------------------------------------------------------------------


def test_stale_add_absent_with_room_is_rebased():
    assert edit(R("ab", 4), Add("c"), base=2) == EditOutcome(R("abc", 5), changed=True, rebased=True)


def test_stale_add_at_index_in_range():
    assert edit(R("abc", 4), Add("d", 1), base=1) == EditOutcome(R("adbc", 5), True, True)


def test_stale_add_index_clamped_to_the_shorter_list():
    # Made when the list had four items; someone has since removed two.
    assert edit(R("ab", 6), Add("e", 4), base=4) == EditOutcome(R("abe", 7), True, True)


def test_stale_add_already_present_is_a_no_op():
    r = R("abc", 4)
    assert edit(r, Add("c"), base=2) == EditOutcome(r, changed=False, rebased=False)


def test_stale_add_when_full():
    assert refusal(R("abcde", 7), Add("f"), base=3).code == "ranking_full"


def test_stale_add_unknown():
    assert refusal(R("ab", 4), Add("z"), base=2).code == "unknown_principle"


def test_stale_remove_present_is_rebased():
    assert edit(R("abc", 4), Remove("b"), base=1) == EditOutcome(R("ac", 5), True, True)


def test_stale_remove_absent_is_a_no_op():
    r = R("abc", 4)
    assert edit(r, Remove("d"), base=3) == EditOutcome(r, False, False)


def test_stale_move_present_is_rebased():
    assert edit(R("abcd", 6), Move("d", 0), base=5) == EditOutcome(R("dabc", 7), True, True)


def test_stale_move_index_clamped_to_the_shorter_list():
    # Made on a list of five ("move a to the bottom"); the list now has three.
    assert edit(R("abc", 6), Move("a", 4), base=5) == EditOutcome(R("bca", 7), True, True)


def test_stale_move_already_in_place_is_a_no_op():
    r = R("abc", 6)
    assert edit(r, Move("c", 9), base=5) == EditOutcome(r, False, False)


def test_stale_move_of_a_removed_principle_is_a_conflict():
    with pytest.raises(Conflict) as e:
        edit(R("abc", 6), Move("d", 0), base=5)
    assert e.value.code == "stale_revision"
    assert isinstance(e.value, DomainError)


def test_stale_move_to_a_negative_index_is_invalid_not_clamped():
    assert refusal(R("abc", 6), Move("a", -1), base=5).code == "invalid_index"


def test_stale_replace_is_a_conflict():
    with pytest.raises(Conflict) as e:
        edit(R("abc", 4), Replace(("c", "b", "a")), base=3)
    assert e.value.code == "stale_revision"
    assert (
        e.value.message
        == "Someone at your table changed the list just now. Check the new order and try again."
    )


def test_stale_replace_equal_to_the_current_items_is_a_no_op():
    r = R("abc", 4)
    assert edit(r, Replace(("a", "b", "c")), base=3) == EditOutcome(r, False, False)


def test_stale_replace_is_validated_before_the_conflict():
    assert refusal(R("abc", 4), Replace(("a", "a")), base=3).code == "duplicate_principle"
    assert refusal(R("abc", 4), Replace(("a", "z")), base=3).code == "unknown_principle"
    assert refusal(R("abc", 4), Replace(tuple("abcdef")), base=3).code == "ranking_full"


def test_conflict_changes_nothing():
    r = R("abc", 4)
    with pytest.raises(Conflict):
        edit(r, Replace(("b", "a")), base=3)
    assert r == R("abc", 4)


def test_three_phones_racing_on_the_same_revision():
    r = new_ranking()
    first = apply_edit(r, Add("a"), 0, KNOWN, CAP)
    assert first == EditOutcome(R("a", 1), True, False)
    second = apply_edit(first.ranking, Add("b"), 0, KNOWN, CAP)
    assert second == EditOutcome(R("ab", 2), True, True)
    third = apply_edit(second.ranking, Add("a"), 0, KNOWN, CAP)
    assert third == EditOutcome(R("ab", 2), False, False)


def test_race_remove_then_stale_move_of_the_same_principle():
    r = R("abcde", 5)
    removed = apply_edit(r, Remove("c"), 5, KNOWN, CAP).ranking
    assert removed == R("abde", 6)
    with pytest.raises(Conflict):
        apply_edit(removed, Move("c", 0), 5, KNOWN, CAP)


def test_race_drag_then_stale_drag():
    r = R("abc", 3)
    dragged = apply_edit(r, Replace(("b", "a", "c")), 3, KNOWN, CAP).ranking
    assert dragged == R("bac", 4)
    with pytest.raises(Conflict):
        apply_edit(dragged, Replace(("c", "b", "a")), 3, KNOWN, CAP)


def test_race_fill_then_stale_add():
    r = R("abcd", 4)
    full = apply_edit(r, Add("e"), 4, KNOWN, CAP).ranking
    with pytest.raises(DomainError) as e:
        apply_edit(full, Add("f"), 4, KNOWN, CAP)
    assert e.value.code == "ranking_full"


# ---------------------------------------------------------------------------------------------------------------
# agree
# ---------------------------------------------------------------------------------------------------------------


def test_agree_a_full_ranking():
    assert agree(R("abcde", 5), CAP) == R("abcde", 6, agreed=True)


def test_agree_twice_is_harmless():
    r = R("abcde", 6, agreed=True)
    assert agree(r, CAP) is r


@pytest.mark.parametrize("items", ["", "a", "abcd"])
def test_agree_with_too_few(items):
    with pytest.raises(DomainError) as e:
        agree(R(items, 4), CAP)
    assert e.value.code == "ranking_incomplete"
    assert e.value.message == "Choose 5 principles before you agree."


def test_agree_with_too_few_singular_message():
    with pytest.raises(DomainError) as e:
        agree(new_ranking(), 1)
    assert e.value.message == "Choose 1 principle before you agree."


def test_agree_with_a_smaller_capacity():
    assert agree(R("abc", 3), 3) == R("abc", 4, agreed=True)


def test_agree_with_more_than_capacity():
    with pytest.raises(DomainError) as e:
        agree(R("abcd", 4), 3)
    assert e.value.code == "ranking_full"


def test_agree_with_zero_capacity():
    assert agree(new_ranking(), 0) == Ranking((), 1, True)


def test_agree_with_the_current_base_revision():
    assert agree(R("abcde", 5), CAP, base_revision=5) == R("abcde", 6, agreed=True)


def test_agree_on_a_list_that_changed_since_is_a_conflict():
    with pytest.raises(Conflict) as e:
        agree(R("abcde", 5), CAP, base_revision=4)
    assert e.value.code == "stale_revision"


def test_agree_twice_from_a_stale_screen_is_harmless():
    r = R("abcde", 6, agreed=True)
    assert agree(r, CAP, base_revision=5) is r


@pytest.mark.parametrize("base", [6, -1, "5", True])
def test_agree_invalid_base_revision(base):
    with pytest.raises(DomainError) as e:
        agree(R("abcde", 5), CAP, base_revision=base)
    assert e.value.code == "invalid_revision"


@pytest.mark.parametrize("capacity", [-1, 6])
def test_agree_invalid_capacity(capacity):
    with pytest.raises(DomainError) as e:
        agree(R("abcde", 5), capacity)
    assert e.value.code == "invalid_capacity"


# ---------------------------------------------------------------------------------------------------------------
# reopen
# ---------------------------------------------------------------------------------------------------------------


def test_reopen_an_agreed_ranking():
    assert reopen(R("abcde", 6, agreed=True)) == R("abcde", 7)


def test_reopen_a_draft_is_unchanged():
    r = R("abc", 3)
    assert reopen(r) is r


def test_reopen_with_the_current_base_revision():
    assert reopen(R("abcde", 6, agreed=True), base_revision=6) == R("abcde", 7)


def test_reopen_from_a_screen_that_missed_a_re_agree_is_a_conflict():
    # Seen agreed at 6; since then reopened (7), edited (8) and agreed again (9).
    with pytest.raises(Conflict) as e:
        reopen(R("abcde", 9, agreed=True), base_revision=6)
    assert e.value.code == "stale_revision"


def test_reopen_a_draft_from_a_stale_screen_is_unchanged():
    r = R("abc", 7)
    assert reopen(r, base_revision=6) is r


@pytest.mark.parametrize("base", [7, -1, "6"])
def test_reopen_invalid_base_revision(base):
    with pytest.raises(DomainError) as e:
        reopen(R("abcde", 6, agreed=True), base_revision=base)
    assert e.value.code == "invalid_revision"


def test_full_round_trip():
    r = new_ranking()
    for pid in "abcde":
        r = apply_edit(r, Add(pid), r.revision, KNOWN, CAP).ranking
    assert r == R("abcde", 5)
    r = agree(r, CAP, base_revision=5)
    assert r == R("abcde", 6, agreed=True)
    r = reopen(r, base_revision=6)
    assert r == R("abcde", 7)
    r = apply_edit(r, Move("e", 0), 7, KNOWN, CAP).ranking
    assert r == R("eabcd", 8)
    assert agree(r, CAP, base_revision=8) == R("eabcd", 9, agreed=True)

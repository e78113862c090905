"""Where the gap-analysis block goes, and the worksheet documents' merge rules (pycrdt, no I/O)."""

from __future__ import annotations

import pytest
from pycrdt import Doc, Text

from server.domain import worksheet as w
from server.domain.errors import DomainError
from server.domain.gap import Placed, gap_title, plan_gap_segments

PHASE1 = [Placed("s1", "rank", "done", None), Placed("s2", "share", "done", None), Placed("s3", "consensus", "running", None)]


def test_confirming_appends_one_gap_segment_per_priority_then_next_steps():
    plan = plan_gap_segments(PHASE1, ["a", "b", "c"])
    assert plan.order == (
        ("existing", "s1"), ("existing", "s2"), ("existing", "s3"),
        ("gap", "a"), ("gap", "b"), ("gap", "c"), ("next_steps", None),
    )
    assert plan.new_gaps == ("a", "b", "c") and plan.add_next_steps and plan.assign == {}


def test_confirming_again_adds_only_the_new_priorities_after_the_gap_block():
    placed = PHASE1 + [
        Placed("g1", "gap", "done", "a"), Placed("g2", "gap", "pending", "b"), Placed("n", "next_steps", "pending", None)
    ]
    plan = plan_gap_segments(placed, ["a", "c", "b"])
    assert plan.new_gaps == ("c",) and not plan.add_next_steps
    assert [ref for _, ref in plan.order][-3:] == ["g2", "c", "n"]
    assert not plan_gap_segments(placed, ["b", "a"]).changes_anything


def test_placeholder_gap_segments_take_the_priorities_in_order():
    placed = PHASE1 + [Placed("p1", "gap", "pending", None), Placed("p2", "gap", "skipped", None),
                       Placed("n", "next_steps", "pending", None)]
    plan = plan_gap_segments(placed, ["a", "b"])
    assert plan.assign == {"p1": "a"}  # a skipped placeholder is left alone
    assert plan.new_gaps == ("b",) and [ref for _, ref in plan.order][-2:] == ["b", "n"]


def test_without_gap_segments_new_ones_go_before_an_existing_next_steps():
    plan = plan_gap_segments(PHASE1 + [Placed("n", "next_steps", "pending", None)], ["a"])
    assert [ref for _, ref in plan.order] == ["s1", "s2", "s3", "a", "n"]


def test_gap_titles_fit_the_agenda():
    assert gap_title("Needs-Led") == "Gap analysis: Needs-Led"
    assert len(gap_title("x" * 200)) == 120


def test_two_people_typing_in_one_cell_both_keep_their_text_in_any_order():
    base = w.new_document({"ideal": "The ideal"})
    alice = w.text_update(base, "gaps", "Waiting lists are long.")
    bob = w.text_update(base, "gaps", "No evening clinics.")
    one = w.merge(w.merge(base, alice).state, bob)
    other = w.merge(w.merge(base, bob).state, alice)
    assert one.texts == other.texts
    assert "Waiting lists are long." in one.texts["gaps"] and "No evening clinics." in one.texts["gaps"]
    assert one.texts["ideal"] == "The ideal"


class _Writer:
    """A phone typing one key at a time the way worksheet-sync.js does: its first key at the end of the cell
    brings a line end of its own, and every later key goes just before that line end."""

    def __init__(self, state: bytes, words: str):
        self.doc = Doc()
        self.doc.apply_update(state)
        self.text = self.doc.get("gaps", type=Text)
        self.words, self.typed, self.sent = words, "", self.doc.get_state()

    def key(self) -> None:
        ch = self.words[len(self.typed)]
        if not self.typed:
            self.text.insert(len(str(self.text)), ch + "\n")
        else:
            self.text.insert(str(self.text).index(self.typed + "\n") + len(self.typed), ch)
        self.typed += ch

    def update(self) -> bytes:
        update, self.sent = self.doc.get_update(self.sent), self.doc.get_state()
        return update


@pytest.mark.parametrize("every", [1, 2, 3, 7, 100])
@pytest.mark.parametrize("start", ["", "Already said\n"])
def test_lines_typed_at_once_in_one_cell_stay_apart_whatever_the_server_merges_first(every, start):
    # Issue 14: "…do not useBuses stop at six…". A run that carries its own line end keeps its words in front
    # of it, and the other person's run goes before its first letter or after its line end, never inside.
    base = w.new_document({"gaps": start})
    one, two = "Forms use words young people do not use", "Buses stop at six"
    for first_a in (True, False):
        a, b = _Writer(base, one), _Writer(base, two)
        state = base
        for i in range(max(len(one), len(two))):
            for writer in (a, b):
                if i < len(writer.words):
                    writer.key()
            if (i + 1) % every == 0 or i == max(len(one), len(two)) - 1:
                for writer in ((a, b) if first_a else (b, a)):
                    merged = w.merge(state, writer.update())
                    state = merged.state
                for writer in (a, b):
                    writer.doc.apply_update(state)
        text = w.texts_of(state)["gaps"]
        assert sorted(line for line in text.split("\n") if line and line != start.strip()) == sorted([one, two]), text
        assert text.startswith(start)


def test_merging_is_idempotent_and_reports_no_change_for_a_duplicate():
    base = w.new_document({})
    edit = w.text_update(base, "training", "Trauma-informed practice")
    first = w.merge(base, edit)
    again = w.merge(first.state, edit)
    assert first.changed and not again.changed and again.texts == first.texts
    assert w.merge(first.state, w.missing_from(first.state, None)).changed is False
    # The delta is what others need: applied to the old state it gives the new texts.
    assert w.merge(base, first.delta).texts == first.texts


def test_a_delete_only_update_is_a_change():
    base = w.merge(w.new_document({}), w.text_update(w.new_document({}), "gaps", "abc")).state
    cut = w.merge(base, w.text_update(base, "gaps", "ac"))
    assert cut.changed and cut.texts["gaps"] == "ac"


def test_unicode_is_counted_in_characters():
    base = w.new_document({"ideal": "Young people 😀 say"})
    edited = w.merge(base, w.text_update(base, "ideal", "Young people 😀 say: é"))
    assert edited.texts["ideal"] == "Young people 😀 say: é"


@pytest.mark.parametrize(
    ("update", "code"),
    [
        (b"\x01\x02not yjs", "invalid_update"),
        (None, "invalid_update"),  # a root that is not a cell, made below
    ],
)
def test_bad_updates_are_refused(update, code):
    from pycrdt import Doc, Map

    if update is None:
        doc = Doc()
        doc.get("evil", type=Map)["x"] = "y"
        update = doc.get_update()
    with pytest.raises(DomainError) as refused:
        w.merge(w.new_document({}), update)
    assert refused.value.code == code


def test_the_cell_limit_is_on_the_merged_text():
    base = w.new_document({})
    half = "x" * (w.MAX_CELL_CHARS // 2 + 1)
    first = w.merge(base, w.text_update(base, "gaps", half))
    with pytest.raises(DomainError) as refused:
        w.merge(first.state, w.text_update(base, "gaps", half))  # made concurrently: fits alone, not together
    assert refused.value.code == "cell_too_long"
    # Shortening an over-long cell (e.g. one imported) is always allowed.
    assert w.merge(first.state, w.text_update(first.state, "gaps", "short")).texts["gaps"] == "short"


def test_base64_is_checked():
    assert w.b64decode(w.b64encode(b"abc")) == b"abc"
    for bad in ("***", "a" * (w.MAX_UPDATE_BASE64 + 10)):
        with pytest.raises(DomainError):
            w.b64decode(bad)


def test_changed_range_is_one_delete_and_one_insert():
    assert w.changed_range("hello world", "hello brave world") == (6, 6, 12)
    assert w.changed_range("aaa", "aa") == (2, 3, 2)
    assert w.changed_range("", "x") == (0, 0, 1)

"""domain.reasons: a table's reasons as one Yjs document, one text per principle."""

from __future__ import annotations

import pytest

from server.domain import reasons as r
from server.domain import worksheet as w
from server.domain.errors import DomainError

IDS = ["a", "b", "c"]


def _merge(state, pid, value, base=None):
    return r.merge(state, r.text_update(base if base is not None else state, pid, value, IDS), IDS)


def test_concurrent_writes_to_one_reason_keep_both():
    start = r.empty_document()
    one = _merge(start, "a", "first")
    two = r.merge(one.state, r.text_update(start, "a", "second", IDS), IDS)
    assert "first" in two.texts["a"] and "second" in two.texts["a"]
    assert r.texts_of(two.state, IDS) == {"a": two.texts["a"]}


def test_merging_twice_changes_nothing():
    start = r.empty_document()
    update = r.text_update(start, "b", "why", IDS)
    once = r.merge(start, update, IDS)
    again = r.merge(once.state, update, IDS)
    assert once.changed and not again.changed and again.texts == once.texts


def test_the_limit_is_on_the_merged_reason():
    start = r.empty_document()
    long = _merge(start, "a", "x" * 150)
    with pytest.raises(DomainError) as refused:
        r.merge(long.state, r.text_update(start, "a", "y" * 60, IDS), IDS)
    assert refused.value.code == "reason_too_long"
    # Shortening a reason that is over the limit is always allowed (an import may have made it so).
    assert _merge(long.state, "a", "x" * 10).texts["a"] == "x" * 10


def test_a_reason_is_one_line_and_names_a_principle():
    with pytest.raises(DomainError) as refused:
        _merge(r.empty_document(), "a", "one\ntwo")
    assert refused.value.code == "invalid_update"
    with pytest.raises(DomainError):
        r.merge(r.empty_document(), w.text_update(None, "ideal", "x"), IDS)
    with pytest.raises(DomainError):
        r.merge(r.empty_document(), b"\x01\x02\x03", IDS)


def test_shown_follows_the_five_and_texts_keep_the_others():
    texts = {"a": "because", "c": "kept"}
    assert r.shown(["b", "a"], texts) == [("b", ""), ("a", "because")]
    assert r.only_written({"a": " ", "b": "ok\x01"}) == {"b": "ok"}


def test_new_document_from_texts_round_trips():
    state = r.new_document({"a": "one  line", "c": "two\nlines"}, IDS)
    assert r.texts_of(state, IDS) == {"a": "one line", "c": "two lines"}
    with pytest.raises(DomainError):
        r.new_document({"zzz": "x"}, IDS)
    with pytest.raises(DomainError):
        r.new_document({"a": "x" * 201}, IDS)

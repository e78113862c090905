"""Tests for server.domain.tally.

Every expected number below was worked out by hand from the ballots in the test (the arithmetic is in
the comments); nothing is computed by calling the code under test.
"""

import dataclasses
import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.tally import (
    METHOD_LABELS,
    METHODS,
    NO_BALLOTS_WARNING,
    SCHULZE_FEW_TABLES_WARNING,
    CutTie,
    TableBallot,
    compare_methods,
    tally,
    tally_all,
)

CATALOGUE = ("a", "b", "c", "d", "e", "f", "g", "h")


def ballots(*rankings: str) -> list[TableBallot]:
    """ballots("abcde", "bacde") -> tables T1, T2, ... with one-letter principle ids."""
    return [TableBallot(f"T{n}", tuple(ranking)) for n, ranking in enumerate(rankings, start=1)]


def order(result) -> list[str]:
    return [row.principle_id for row in result.rows]


def ranks(result) -> dict[str, int]:
    return {row.principle_id: row.rank for row in result.rows}


def row(result, principle_id):
    return next(r for r in result.rows if r.principle_id == principle_id)


def settled(result) -> dict[str, str | None]:
    return {r.principle_id: r.settled_by for r in result.rows}


def points(result) -> dict[str, Fraction]:
    return {r.principle_id: r.points for r in result.rows}


# Five tables, clean order.
#   a: 5+5+4+5+4 = 23   b: 4+3+5+4+3 = 19   c: 3+4+3+2+5 = 17   d: 2+2+1+3+2 = 10
#   e: 1+0+2+0+1 = 4    f: 1 (T2)           g: 1 (T4)           h: 0            total 75 = 5 x 15
FIVE_TABLES = ballots("abcde", "acbdf", "baced", "abdcg", "cabde")


# ---------------------------------------------------------------------------------------------------------
# Empty and tiny inputs
# ---------------------------------------------------------------------------------------------------------


def test_no_ballots_everyone_shares_rank_one_with_a_warning():
    result = tally(CATALOGUE, [])
    assert result.ballot_count == 0
    assert order(result) == list(CATALOGUE)
    assert set(ranks(result).values()) == {1}
    assert all(r.shared and r.points == 0 and r.settled_by == "shared" for r in result.rows)
    assert result.warnings == ("No table has agreed a ranking yet",)
    assert NO_BALLOTS_WARNING == "No table has agreed a ranking yet"
    assert result.top == CATALOGUE
    # Nothing has been tallied yet, so there is no tie for the room to settle (issue 14: a false alarm).
    assert result.cut_tie is None


def test_no_ballots_schulze_has_only_the_no_ballots_warning_and_zero_matrices():
    result = tally(("a", "b", "c"), [], method="schulze")
    assert result.warnings == ("No table has agreed a ranking yet",)
    assert result.pairwise == {"a": {"b": 0, "c": 0}, "b": {"a": 0, "c": 0}, "c": {"a": 0, "b": 0}}
    assert result.strongest_paths == result.pairwise
    assert ranks(result) == {"a": 1, "b": 1, "c": 1}


def test_single_table_borda():
    result = tally(CATALOGUE, ballots("caebg"))
    assert order(result) == ["c", "a", "e", "b", "g", "d", "f", "h"]
    assert ranks(result) == {"c": 1, "a": 2, "e": 3, "b": 4, "g": 5, "d": 6, "f": 6, "h": 6}
    assert points(result) == {"c": 5, "a": 4, "e": 3, "b": 2, "g": 1, "d": 0, "f": 0, "h": 0}
    assert result.top == ("c", "a", "e", "b", "g")
    assert result.cut_tie is None  # the shared 6th place starts after the cut
    c = row(result, "c")
    assert c.per_table == {"T1": 5}
    assert c.rank_counts == (1, 0, 0, 0, 0)
    assert c.first_places == 1 and c.tables_ranked == 1
    assert row(result, "d").per_table == {}
    assert row(result, "d").tables_ranked == 0
    assert settled(result) == {
        "c": None, "a": None, "e": None, "b": None, "g": None,
        "d": "shared", "f": "shared", "h": "shared",
    }  # fmt: skip
    assert result.warnings == ()


def test_a_table_with_an_empty_ranking_counts_as_a_ballot_but_scores_nothing():
    result = tally(("a", "b"), [TableBallot("T1", ("b",)), TableBallot("T2", ())])
    assert result.ballot_count == 2
    assert order(result) == ["b", "a"]
    assert points(result) == {"b": 5, "a": 0}
    assert result.warnings == ()


# ---------------------------------------------------------------------------------------------------------
# Borda: clean order
# ---------------------------------------------------------------------------------------------------------


def test_five_tables_borda_points_and_order():
    result = tally(CATALOGUE, FIVE_TABLES)
    assert result.method == "borda"
    assert result.ballot_count == 5
    assert order(result) == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert points(result) == {"a": 23, "b": 19, "c": 17, "d": 10, "e": 4, "f": 1, "g": 1, "h": 0}
    assert ranks(result) == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 6, "h": 8}
    assert result.top == ("a", "b", "c", "d", "e")
    assert result.cut_tie is None
    assert result.pairwise is None and result.strongest_paths is None
    assert result.warnings == ()


def test_five_tables_borda_rank_counts_and_per_table():
    result = tally(CATALOGUE, FIVE_TABLES)
    assert row(result, "a").rank_counts == (3, 2, 0, 0, 0)
    assert row(result, "b").rank_counts == (1, 2, 2, 0, 0)
    assert row(result, "c").rank_counts == (1, 1, 2, 1, 0)
    assert row(result, "d").rank_counts == (0, 0, 1, 3, 1)
    assert row(result, "e").rank_counts == (0, 0, 0, 1, 2)
    assert row(result, "h").rank_counts == (0, 0, 0, 0, 0)
    assert row(result, "a").per_table == {"T1": 5, "T2": 5, "T3": 4, "T4": 5, "T5": 4}
    assert row(result, "e").per_table == {"T1": 1, "T3": 2, "T5": 1}  # T2 and T4 did not list e
    assert row(result, "a").first_places == 3
    assert row(result, "d").tables_ranked == 5
    assert row(result, "e").tables_ranked == 3


def test_five_tables_settled_by_only_on_rows_tied_on_points():
    # f and g: 1 point each, both (0,0,0,0,1); T2 prefers f, T4 prefers g: 1-1, shared 6th.
    result = tally(CATALOGUE, FIVE_TABLES)
    assert settled(result) == {
        "a": None, "b": None, "c": None, "d": None, "e": None,
        "f": "shared", "g": "shared", "h": None,
    }  # fmt: skip
    assert [r.shared for r in result.rows] == [False, False, False, False, False, True, True, False]


# ---------------------------------------------------------------------------------------------------------
# Borda: two-way ties
# ---------------------------------------------------------------------------------------------------------


def test_two_way_tie_settled_by_countback_on_first_places():
    # a: 5 (T1 1st) + 2 (T2 4th) = 7, (1,0,0,1,0)   b: 4 (T2 2nd) + 3 (T3 3rd) = 7, (0,1,1,0,0)
    # c: 4+5+4 = 13   d: 3+3+5 = 11   e: 2+1+2 = 5   f: 1+1 = 2   g, h: 0
    # Head-to-head would favour b (T2, T3 against T1): countback comes first.
    result = tally(CATALOGUE, ballots("acdef", "cbdae", "dcbef"))
    assert order(result) == ["c", "d", "a", "b", "e", "f", "g", "h"]
    assert points(result) == {"c": 13, "d": 11, "a": 7, "b": 7, "e": 5, "f": 2, "g": 0, "h": 0}
    assert ranks(result) == {"c": 1, "d": 2, "a": 3, "b": 4, "e": 5, "f": 6, "g": 7, "h": 7}
    assert settled(result)["a"] == "countback"
    assert settled(result)["b"] == "countback"
    assert not row(result, "a").shared and not row(result, "b").shared
    assert row(result, "a").rank_counts == (1, 0, 0, 1, 0)
    assert row(result, "b").rank_counts == (0, 1, 1, 0, 0)


def test_two_way_tie_settled_by_countback_at_third_places():
    # e: three 5th places = 3, (0,0,0,0,3); f: one 3rd place = 3, (0,0,1,0,0).
    # Firsts 0 = 0, seconds 0 = 0, thirds 1 > 0: f above e.
    # a: 5+4+5 = 14  b: 4+5+4 = 13  c: 3+3 = 6  d: 2+2 = 4  g: 2  h: 0
    result = tally(CATALOGUE, ballots("abcde", "bacde", "abfge"))
    assert order(result) == ["a", "b", "c", "d", "f", "e", "g", "h"]
    assert points(result) == {"a": 14, "b": 13, "c": 6, "d": 4, "f": 3, "e": 3, "g": 2, "h": 0}
    assert ranks(result) == {"a": 1, "b": 2, "c": 3, "d": 4, "f": 5, "e": 6, "g": 7, "h": 8}
    assert settled(result)["f"] == "countback"
    assert settled(result)["e"] == "countback"
    assert result.top == ("a", "b", "c", "d", "f")
    assert result.cut_tie is None


def test_two_way_tie_settled_by_head_to_head():
    # a: 5 (T1 1st) + 3 (T3 3rd) = 8   b: 3 (T1 3rd) + 5 (T2 1st) = 8   both (1,0,1,0,0)
    # a over b: T1 (1st vs 3rd), T3 (b unlisted) = 2; b over a: T2 (a unlisted) = 1.
    # c: 4+4+5 = 13  d: 2+3+4 = 9  e: 1+2+2 = 5  f: 1+1 = 2  g, h: 0   total 45 = 3 x 15
    result = tally(CATALOGUE, ballots("acbde", "bcdef", "cdaef"))
    assert order(result) == ["c", "d", "a", "b", "e", "f", "g", "h"]
    assert points(result) == {"c": 13, "d": 9, "a": 8, "b": 8, "e": 5, "f": 2, "g": 0, "h": 0}
    assert ranks(result) == {"c": 1, "d": 2, "a": 3, "b": 4, "e": 5, "f": 6, "g": 7, "h": 7}
    assert settled(result) == {
        "c": None, "d": None, "a": "head_to_head", "b": "head_to_head",
        "e": None, "f": None, "g": "shared", "h": "shared",
    }  # fmt: skip
    assert row(result, "a").rank_counts == row(result, "b").rank_counts == (1, 0, 1, 0, 0)


def test_two_way_tie_left_shared():
    # a: 5+4 = 9, b: 4+5 = 9, both (1,1,0,0,0); head-to-head 1-1.  c: 6  d: 4  e: 2
    result = tally(CATALOGUE, ballots("abcde", "bacde"))
    assert order(result) == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert ranks(result) == {"a": 1, "b": 1, "c": 3, "d": 4, "e": 5, "f": 6, "g": 6, "h": 6}
    assert points(result) == {"a": 9, "b": 9, "c": 6, "d": 4, "e": 2, "f": 0, "g": 0, "h": 0}
    assert row(result, "a").shared and row(result, "b").shared
    assert settled(result)["a"] == settled(result)["b"] == "shared"
    assert settled(result)["c"] is None
    assert result.top == ("a", "b", "c", "d", "e")
    assert result.cut_tie is None


def test_shared_rank_lists_rows_in_catalogue_order():
    reversed_catalogue = tuple(reversed(CATALOGUE))
    result = tally(reversed_catalogue, ballots("abcde", "bacde"))
    assert order(result) == ["b", "a", "c", "d", "e", "h", "g", "f"]
    assert ranks(result) == {"b": 1, "a": 1, "c": 3, "d": 4, "e": 5, "h": 6, "g": 6, "f": 6}


# ---------------------------------------------------------------------------------------------------------
# Borda: three-way ties
# ---------------------------------------------------------------------------------------------------------


def test_three_way_tie_fully_settled_by_countback_down_to_fourth_places():
    # a: T1 1st 5 + T2 4th 2 = 7, (1,0,0,1,0)
    # e: T1 5th 1 + T2 1st 5 + T3 5th 1 = 7, (1,0,0,0,2)
    # b: T1 2nd 4 + T2 3rd 3 = 7, (0,1,1,0,0)
    # a vs e: firsts 1 = 1, seconds 0 = 0, thirds 0 = 0, fourths 1 > 0: a first.
    # c: 3+4+2 = 9  f: 5  g: 4  h: 3 (0,0,1,0,0)  d: 2+1 = 3 (0,0,0,1,1): h above d on thirds.
    result = tally(CATALOGUE, ballots("abcde", "ecbad", "fghce"))
    assert order(result) == ["c", "a", "e", "b", "f", "g", "h", "d"]
    assert points(result) == {"c": 9, "a": 7, "e": 7, "b": 7, "f": 5, "g": 4, "h": 3, "d": 3}
    assert ranks(result) == {"c": 1, "a": 2, "e": 3, "b": 4, "f": 5, "g": 6, "h": 7, "d": 8}
    assert settled(result) == {
        "c": None, "a": "countback", "e": "countback", "b": "countback",
        "f": None, "g": None, "h": "countback", "d": "countback",
    }  # fmt: skip
    assert result.top == ("c", "a", "e", "b", "f")


def test_three_way_tie_partly_separated_by_head_to_head():
    # a, b, c: 12 points each, each (1,1,1,0,0).
    #   a: T3 3rd 3 + T4 1st 5 + T5 2nd 4; b: T1 1st 5 + T2 2nd 4 + T4 3rd 3; c: T1 4 + T2 5 + T5 3
    # a over b: T3, T4, T5 = 3; b over a: T1, T2 = 2            -> a beats b
    # a over c: T3, T4, T5 = 3; c over a: T1, T2 = 2            -> a beats c
    # b over c: T1, T4 = 2; c over b: T2, T5 = 2                -> no winner
    # Wins inside the group: a 2, b 0, c 0 -> a, then b and c share (their pair is tied).
    # d: 3+3+5+4+2 = 17  e: 2+2+4+2+5 = 15  f: 1+1+2+1+1 = 6  g: 1  h: 0   total 75
    result = tally(CATALOGUE, ballots("bcdef", "cbdef", "deafg", "adbef", "eacdf"))
    assert order(result) == ["d", "e", "a", "b", "c", "f", "g", "h"]
    assert points(result) == {"d": 17, "e": 15, "a": 12, "b": 12, "c": 12, "f": 6, "g": 1, "h": 0}
    assert ranks(result) == {"d": 1, "e": 2, "a": 3, "b": 4, "c": 4, "f": 6, "g": 7, "h": 8}
    assert settled(result) == {
        "d": None, "e": None, "a": "head_to_head", "b": "shared", "c": "shared",
        "f": None, "g": None, "h": None,
    }  # fmt: skip
    # The shared 4th place ends exactly on the cut: no tie to settle.
    assert result.top == ("d", "e", "a", "b", "c")
    assert result.cut_tie is None


def test_three_way_tie_head_to_head_counts_only_wins_not_draws():
    # a, b, c: 12 points each, each (1,1,1,0,0).
    #   a: T1 1st 5 + T2 2nd 4 + T4 3rd 3; b: T1 2nd 4 + T2 3rd 3 + T4 1st 5; c: T1 3 + T2 5 + T3 4
    # a vs b: T1 a, T2 a, T4 b (T3 lists neither)  -> a beats b 2-1
    # a vs c: T1 a, T2 c, T3 c, T4 a                -> 2-2
    # b vs c: T1 b, T2 c, T3 c, T4 b                -> 2-2
    # Wins: a 1, b 0, c 0 -> a; then b and c share. (Counting draws as wins would put c level with a.)
    # d: 2+1+5+2 = 10  e: 1+2+3+1 = 7  f: 4+2 = 6  g: 1  h: 0   total 60
    result = tally(CATALOGUE, ballots("abcde", "cabed", "dcefg", "bfade"))
    assert order(result) == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert points(result) == {"a": 12, "b": 12, "c": 12, "d": 10, "e": 7, "f": 6, "g": 1, "h": 0}
    assert ranks(result) == {"a": 1, "b": 2, "c": 2, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8}
    assert settled(result) == {
        "a": "head_to_head", "b": "shared", "c": "shared",
        "d": None, "e": None, "f": None, "g": None, "h": None,
    }  # fmt: skip


def test_three_way_tie_needs_recursive_head_to_head():
    # a, b, c: 9 points each, each (1,1,0,0,0).
    # a vs b: T1 a, T2 b, T3 a, T4 b             -> 2-2, no winner
    # b vs c: T2 b, T3 c, T4 b (1st vs 2nd)      -> b beats c 2-1 (T1 lists neither)
    # c vs a: T1 a, T3 c (1st vs 2nd), T4 c      -> c beats a 2-1 (T2 lists neither)
    # Wins in {a,b,c}: a 0, b 1, c 1 -> {b, c} above a; then inside {b, c} b beats c.
    # d: 4+5+3+3 = 15  e: 3+3+2+2 = 10  f: 2+2+1+1 = 6  g: 1+1 = 2  h: 0   total 60 = 4 x 15
    result = tally(CATALOGUE, ballots("adefg", "dbefg", "cadef", "bcdef"))
    assert order(result) == ["d", "e", "b", "c", "a", "f", "g", "h"]
    assert points(result) == {"d": 15, "e": 10, "b": 9, "c": 9, "a": 9, "f": 6, "g": 2, "h": 0}
    assert ranks(result) == {"d": 1, "e": 2, "b": 3, "c": 4, "a": 5, "f": 6, "g": 7, "h": 8}
    assert settled(result)["a"] == settled(result)["b"] == settled(result)["c"] == "head_to_head"
    assert not any(row(result, pid).shared for pid in "abc")
    assert result.top == ("d", "e", "b", "c", "a")


def test_three_way_cycle_stays_shared():
    # a, b, c: 9 points each, (1,1,0,0,0). a beats b (T1, T3), b beats c (T1, T2), c beats a (T2, T3):
    # one win each, so no separation at all.
    # d: 3+2+1 = 6  e: 2+3 = 5  g: 1+3 = 4  h: 2  f: 1   total 45
    result = tally(CATALOGUE, ballots("abdef", "bcedg", "caghd"))
    assert order(result) == ["a", "b", "c", "d", "e", "g", "h", "f"]
    assert ranks(result) == {"a": 1, "b": 1, "c": 1, "d": 4, "e": 5, "g": 6, "h": 7, "f": 8}
    assert points(result) == {"a": 9, "b": 9, "c": 9, "d": 6, "e": 5, "g": 4, "h": 2, "f": 1}
    assert settled(result)["a"] == settled(result)["b"] == settled(result)["c"] == "shared"
    assert settled(result)["d"] is None


# ---------------------------------------------------------------------------------------------------------
# The cut
# ---------------------------------------------------------------------------------------------------------


def test_two_principles_sharing_fifth_place_make_a_cut_tie():
    # e: 1 (T1 5th), f: 1 (T2 5th); both (0,0,0,0,1); T1 prefers e, T2 prefers f.
    result = tally(CATALOGUE, ballots("abcde", "abcdf"))
    assert points(result) == {"a": 10, "b": 8, "c": 6, "d": 4, "e": 1, "f": 1, "g": 0, "h": 0}
    assert ranks(result) == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 5, "g": 7, "h": 7}
    assert result.top == ("a", "b", "c", "d", "e", "f")
    assert len(result.top) == 6
    assert result.cut_tie == CutTie(principle_ids=("e", "f"), rank=5)
    assert settled(result)["e"] == settled(result)["f"] == "shared"


def test_three_principles_sharing_fourth_place_make_a_cut_tie():
    # d, e, f: 2 points each (one 4th place); every pair 1-1.  a 15, b 12, c 9.
    result = tally(CATALOGUE, ballots("abcd", "abce", "abcf"))
    assert ranks(result) == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 4, "f": 4, "g": 7, "h": 7}
    assert result.top == ("a", "b", "c", "d", "e", "f")
    assert result.cut_tie == CutTie(principle_ids=("d", "e", "f"), rank=4)


def test_cut_tie_lists_ids_in_catalogue_order():
    result = tally(("h", "g", "f", "e", "d", "c", "b", "a"), ballots("abcde", "abcdf"))
    assert result.cut_tie == CutTie(principle_ids=("f", "e"), rank=5)
    assert result.top == ("a", "b", "c", "d", "f", "e")


def test_smaller_cut_reads_rankings_only_to_the_cut():
    # cut 3: Borda 3, 2, 1; the 4th and 5th items of each ranking are ignored.
    # a: 3+3+2+3+2 = 13  b: 2+1+3+2+1 = 9  c: 1+2+1+0+3 = 7  d: 1 (T4 3rd)  e..h: 0
    result = tally(CATALOGUE, FIVE_TABLES, cut=3)
    assert result.cut == 3
    assert points(result) == {"a": 13, "b": 9, "c": 7, "d": 1, "e": 0, "f": 0, "g": 0, "h": 0}
    assert ranks(result) == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 5, "g": 5, "h": 5}
    assert result.top == ("a", "b", "c")
    assert result.cut_tie is None
    assert row(result, "a").rank_counts == (3, 2, 0)
    assert row(result, "e").tables_ranked == 0  # e appears only at 4th/5th
    assert result.method_label == "Borda count (rank 1 = 3 points … rank 3 = 1 point)"
    assert "third places" in result.tie_break_rule


def test_catalogue_smaller_than_five_keeps_five_point_scale():
    # Borda stays 5, 4, 3 with three principles. x: 5+4 = 9, y: 4+5 = 9, z: 3+3 = 6.
    result = tally(("x", "y", "z"), ballots("xyz", "yxz"))
    assert result.cut == 5
    assert points(result) == {"x": 9, "y": 9, "z": 6}
    assert ranks(result) == {"x": 1, "y": 1, "z": 3}
    assert row(result, "x").rank_counts == (1, 1, 0, 0, 0)
    assert row(result, "z").rank_counts == (0, 0, 2, 0, 0)
    assert result.top == ("x", "y", "z")
    assert result.cut_tie is None


# ---------------------------------------------------------------------------------------------------------
# Dowdall and Count
# ---------------------------------------------------------------------------------------------------------


def test_dowdall_five_tables_exact_fractions():
    # a: 1+1+1/2+1+1/2 = 4           b: 1/2+1/3+1+1/2+1/3 = 8/3
    # c: 1/3+1/2+1/3+1/4+1 = 29/12   d: 1/4+1/4+1/5+1/3+1/4 = 77/60
    # e: 1/5+1/4+1/5 = 13/20         f: 1/5  g: 1/5  h: 0
    result = tally(CATALOGUE, FIVE_TABLES, method="dowdall")
    assert points(result) == {
        "a": Fraction(4), "b": Fraction(8, 3), "c": Fraction(29, 12), "d": Fraction(77, 60),
        "e": Fraction(13, 20), "f": Fraction(1, 5), "g": Fraction(1, 5), "h": Fraction(0),
    }  # fmt: skip
    assert ranks(result) == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 6, "h": 8}
    assert row(result, "b").per_table == {
        "T1": Fraction(1, 2), "T2": Fraction(1, 3), "T3": Fraction(1), "T4": Fraction(1, 2), "T5": Fraction(1, 3),
    }  # fmt: skip
    assert result.method_label == "Dowdall (rank 1 = 1 point, rank 2 = 1/2 … rank 5 = 1/5)"


def test_dowdall_tie_settled_by_countback_where_borda_has_no_tie():
    # Dowdall a: 1+1 = 2, b: 1/2+1/2+1 = 2 -> countback: a 2 firsts, b 1.
    # c: 1/3+1/3+1/2 = 7/6  d: 1/4+1/4+1/3 = 5/6  e: 1/5+1/5+1/4 = 13/20  f: 1/5
    # (Borda: b 13 ahead of a 10 and c 10.)
    three = ballots("abcde", "abcde", "bcdef")
    result = tally(CATALOGUE, three, method="dowdall")
    assert order(result) == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert points(result)["a"] == points(result)["b"] == 2
    assert points(result)["c"] == Fraction(7, 6)
    assert points(result)["d"] == Fraction(5, 6)
    assert points(result)["e"] == Fraction(13, 20)
    assert settled(result)["a"] == settled(result)["b"] == "countback"
    borda = tally(CATALOGUE, three)
    # Borda a: 5+5 = 10, b: 4+4+5 = 13, c: 3+3+4 = 10 -> a above c on firsts (2 vs 0).
    assert order(borda)[:3] == ["b", "a", "c"]
    assert points(borda)["a"] == points(borda)["c"] == 10
    assert settled(borda)["a"] == settled(borda)["c"] == "countback"


def test_count_five_tables():
    # a, b, c, d listed by all 5 tables; countback a (3,2,..) > b (1,2,2,..) > c (1,1,2,1,0) > d (0,0,1,3,1).
    # e: 3 tables. f, g: 1 table each, both (0,0,0,0,1), 1-1 head-to-head: shared.
    result = tally(CATALOGUE, FIVE_TABLES, method="count")
    assert points(result) == {"a": 5, "b": 5, "c": 5, "d": 5, "e": 3, "f": 1, "g": 1, "h": 0}
    assert ranks(result) == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 6, "h": 8}
    assert settled(result) == {
        "a": "countback", "b": "countback", "c": "countback", "d": "countback",
        "e": None, "f": "shared", "g": "shared", "h": None,
    }  # fmt: skip
    assert row(result, "e").per_table == {"T1": 1, "T3": 1, "T5": 1}
    assert result.method_label == "Count (1 point for each table that ranked it)"


def test_count_rewards_breadth():
    # a: 3, b: 3, e: 3 (three 5th places), c: 2, d: 2, f: 1, g: 1, h: 0
    # countback: a (2,1,0,0,0) > b (1,2,0,0,0) > e (0,0,0,0,3); c (0,0,2,0,0) > d (0,0,0,2,0);
    # f (0,0,1,0,0) > g (0,0,0,1,0)
    result = tally(CATALOGUE, ballots("abcde", "bacde", "abfge"), method="count")
    assert order(result) == ["a", "b", "e", "c", "d", "f", "g", "h"]
    assert points(result) == {"a": 3, "b": 3, "e": 3, "c": 2, "d": 2, "f": 1, "g": 1, "h": 0}
    assert result.top == ("a", "b", "e", "c", "d")


# ---------------------------------------------------------------------------------------------------------
# Schulze
# ---------------------------------------------------------------------------------------------------------

# Classic cycle resolved by strongest paths: 3 x "abcd", 2 x "bcad", 2 x "cabd".
#   a over b: 3 + 2 = 5, b over a: 2      b over c: 3 + 2 = 5, c over b: 2
#   c over a: 2 + 2 = 4, a over c: 3      everyone over d: 7
# Links a->b 5, b->c 5, c->a 4, a/b/c->d 7.
#   p[a][b] = 5, p[b][a] = min(b->c 5, c->a 4) = 4          -> a beats b
#   p[a][c] = min(a->b 5, b->c 5) = 5, p[c][a] = 4          -> a beats c
#   p[b][c] = 5, p[c][b] = min(c->a 4, a->b 5) = 4          -> b beats c
CLASSIC = ballots("abcd", "abcd", "abcd", "bcad", "bcad", "cabd", "cabd")


def test_schulze_classic_pairwise_matrix():
    result = tally(("a", "b", "c", "d"), CLASSIC, method="schulze")
    assert result.pairwise == {
        "a": {"b": 5, "c": 3, "d": 7},
        "b": {"a": 2, "c": 5, "d": 7},
        "c": {"a": 4, "b": 2, "d": 7},
        "d": {"a": 0, "b": 0, "c": 0},
    }


def test_schulze_classic_strongest_paths():
    result = tally(("a", "b", "c", "d"), CLASSIC, method="schulze")
    assert result.strongest_paths == {
        "a": {"b": 5, "c": 5, "d": 7},
        "b": {"a": 4, "c": 5, "d": 7},
        "c": {"a": 4, "b": 4, "d": 7},
        "d": {"a": 0, "b": 0, "c": 0},
    }


def test_schulze_classic_order_and_rows():
    result = tally(("a", "b", "c", "d"), CLASSIC, method="schulze")
    assert order(result) == ["a", "b", "c", "d"]
    assert ranks(result) == {"a": 1, "b": 2, "c": 3, "d": 4}
    assert points(result) == {"a": 3, "b": 2, "c": 1, "d": 0}  # others beaten
    assert set(settled(result).values()) == {"schulze"}
    assert row(result, "a").per_table == {}
    assert row(result, "a").rank_counts == (3, 2, 2, 0, 0)
    assert row(result, "d").rank_counts == (0, 0, 0, 7, 0)
    assert result.warnings == ()  # 7 tables
    assert result.top == ("a", "b", "c", "d")
    assert result.method_label == "Schulze (pairwise majorities between tables, strongest paths)"


def test_borda_on_the_classic_schulze_ballots_with_four_principles():
    # a: 3x5 + 2x3 + 2x4 = 29  b: 3x4 + 2x5 + 2x3 = 28  c: 3x3 + 2x4 + 2x5 = 27  d: 7x2 = 14
    result = tally(("a", "b", "c", "d"), CLASSIC)
    assert points(result) == {"a": 29, "b": 28, "c": 27, "d": 14}
    assert order(result) == ["a", "b", "c", "d"]


def test_schulze_cycle_with_equal_strengths_is_a_shared_rank():
    # abc, bca, cab: a over b 2-1, b over c 2-1, c over a 2-1; every path has strength 2.
    # d and e are unlisted everywhere: below a, b, c (3-0) and tied with each other.
    result = tally(("a", "b", "c", "d", "e"), ballots("abc", "bca", "cab"), method="schulze")
    assert ranks(result) == {"a": 1, "b": 1, "c": 1, "d": 4, "e": 4}
    assert points(result) == {"a": 2, "b": 2, "c": 2, "d": 0, "e": 0}
    assert set(settled(result).values()) == {"shared"}
    assert result.pairwise["a"] == {"b": 2, "c": 1, "d": 3, "e": 3}
    assert result.pairwise["d"] == {"a": 0, "b": 0, "c": 0, "e": 0}
    assert result.strongest_paths["a"] == {"b": 2, "c": 2, "d": 3, "e": 3}
    assert result.strongest_paths["b"]["a"] == 2  # b->c->a
    assert result.strongest_paths["d"] == {"a": 0, "b": 0, "c": 0, "e": 0}
    assert result.top == ("a", "b", "c", "d", "e")  # the shared 4th place ends on the cut
    assert result.cut_tie is None
    assert result.warnings == ("With few tables Schulze often ties",)
    assert SCHULZE_FEW_TABLES_WARNING == "With few tables Schulze often ties"


def test_schulze_two_tables_tie_at_the_top():
    # a over b 1-1: no link either way. a, b beat c (2-0) and d; c beats d (2-0, d unlisted).
    result = tally(("a", "b", "c", "d"), ballots("abc", "bac"), method="schulze")
    assert ranks(result) == {"a": 1, "b": 1, "c": 3, "d": 4}
    assert points(result) == {"a": 2, "b": 2, "c": 1, "d": 0}
    assert settled(result) == {"a": "shared", "b": "shared", "c": "schulze", "d": "schulze"}
    assert result.strongest_paths["a"]["b"] == 0 and result.strongest_paths["b"]["a"] == 0


def test_schulze_unranked_principles_are_below_and_tied():
    # One table: c > a > e; b, d unlisted. 1 table < 6: warning.
    result = tally(("a", "b", "c", "d", "e"), ballots("cae"), method="schulze")
    assert order(result) == ["c", "a", "e", "b", "d"]
    assert ranks(result) == {"c": 1, "a": 2, "e": 3, "b": 4, "d": 4}
    assert points(result) == {"c": 4, "a": 3, "e": 2, "b": 0, "d": 0}
    assert settled(result) == {"c": "schulze", "a": "schulze", "e": "schulze", "b": "shared", "d": "shared"}
    assert result.warnings == ("With few tables Schulze often ties",)


def test_schulze_no_warning_from_six_tables():
    result = tally(("a", "b"), ballots("ab", "ab", "ab", "ab", "ab", "ba"), method="schulze")
    assert result.warnings == ()
    assert result.pairwise == {"a": {"b": 5}, "b": {"a": 1}}
    assert order(result) == ["a", "b"]


# ---------------------------------------------------------------------------------------------------------
# compare_methods
# ---------------------------------------------------------------------------------------------------------


def test_compare_methods_shows_every_method_can_differ():
    # Borda:   a 14, b 13, c 6, d 4, f 3 (a 3rd place) above e 3 (three 5th places)
    # Dowdall: a 5/2, b 2, c 2/3, e 3/5, d 1/2
    # Count:   a 3, b 3, e 3, c 2, d 2 (countback a > b > e, c > d)
    # Schulze: pairwise majorities give the straight order a > b > c > d > e > f > g > h
    result = compare_methods(CATALOGUE, ballots("abcde", "bacde", "abfge"))
    assert result == {
        "borda": ["a", "b", "c", "d", "f"],
        "dowdall": ["a", "b", "c", "e", "d"],
        "count": ["a", "b", "e", "c", "d"],
        "schulze": ["a", "b", "c", "d", "e"],
    }
    assert result["borda"] != result["count"]


def test_compare_methods_includes_a_tied_group_at_the_cut_whole():
    result = compare_methods(CATALOGUE, ballots("abcde", "abcdf"))
    assert result["borda"] == ["a", "b", "c", "d", "e", "f"]
    assert result["count"] == ["a", "b", "c", "d", "e", "f"]  # e, f: 1 table each at 5th, 1-1
    assert list(result) == ["borda", "dowdall", "count", "schulze"]


def test_compare_methods_respects_cut():
    # cut 3 from FIVE_TABLES: Borda a 13, b 9, c 7.
    assert compare_methods(CATALOGUE, FIVE_TABLES, cut=3)["borda"] == ["a", "b", "c"]


# ---------------------------------------------------------------------------------------------------------
# Labels and rules text
# ---------------------------------------------------------------------------------------------------------


def test_methods_and_labels():
    assert METHODS == ("borda", "dowdall", "count", "schulze")
    assert set(METHOD_LABELS) == set(METHODS)
    assert METHOD_LABELS["borda"] == "Borda count (rank 1 = 5 points … rank 5 = 1 point)"


@pytest.mark.parametrize("method", ["borda", "dowdall", "count"])
def test_points_methods_describe_countback_then_head_to_head(method):
    rule = tally(CATALOGUE, FIVE_TABLES, method=method).tie_break_rule
    assert "countback" in rule and "fifth places" in rule and "head-to-head" in rule
    assert rule.index("countback") < rule.index("head-to-head")


def test_schulze_rule_mentions_strongest_paths():
    assert "strongest paths" in tally(CATALOGUE, FIVE_TABLES, method="schulze").tie_break_rule


# ---------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="method"):
        tally(CATALOGUE, FIVE_TABLES, method="approval")


def test_unknown_principle_in_a_ballot_is_rejected():
    with pytest.raises(ValueError, match="zz"):
        tally(CATALOGUE, [TableBallot("T1", ("a", "zz"))])


def test_duplicate_principle_in_a_ranking_is_rejected():
    with pytest.raises(ValueError, match="twice"):
        tally(CATALOGUE, ballots("aba"))


def test_ranking_longer_than_five_is_rejected():
    with pytest.raises(ValueError, match="at most 5"):
        tally(CATALOGUE, ballots("abcdef"))


def test_two_ballots_from_one_table_are_rejected():
    with pytest.raises(ValueError, match="T1"):
        tally(CATALOGUE, [TableBallot("T1", ("a",)), TableBallot("T1", ("b",))])


def test_duplicate_catalogue_ids_are_rejected():
    with pytest.raises(ValueError, match="duplicates"):
        tally(("a", "b", "a"), [])


@pytest.mark.parametrize("cut", [0, -1, True, 2.5])
def test_bad_cut_is_rejected(cut):
    with pytest.raises(ValueError, match="cut"):
        tally(CATALOGUE, FIVE_TABLES, cut=cut)


def test_compare_methods_validates_too():
    with pytest.raises(ValueError):
        compare_methods(CATALOGUE, [TableBallot("T1", ("nope",))])


# ---------------------------------------------------------------------------------------------------------
# Serialisation and immutability
# ---------------------------------------------------------------------------------------------------------


def test_to_dict_is_json_with_rounded_floats():
    data = tally(CATALOGUE, FIVE_TABLES, method="dowdall").to_dict()
    decoded = json.loads(json.dumps(data))
    assert decoded == data
    assert list(data) == [
        "method", "method_label", "tie_break_rule", "cut", "ballot_count", "rows", "top",
        "cut_tie", "pairwise", "strongest_paths", "warnings",
    ]  # fmt: skip
    assert [r["points"] for r in data["rows"]] == [4.0, 2.667, 2.417, 1.283, 0.65, 0.2, 0.2, 0.0]
    assert all(type(r["points"]) is float for r in data["rows"])
    assert data["rows"][1] == {
        "principle_id": "b",
        "rank": 2,
        "shared": False,
        "points": 2.667,
        "per_table": {"T1": 0.5, "T2": 0.333, "T3": 1.0, "T4": 0.5, "T5": 0.333},
        "rank_counts": [1, 2, 2, 0, 0],
        "first_places": 1,
        "tables_ranked": 5,
        "settled_by": None,
    }
    assert data["top"] == ["a", "b", "c", "d", "e"]
    assert data["cut_tie"] is None and data["pairwise"] is None and data["warnings"] == []
    assert data["method"] == "dowdall" and data["ballot_count"] == 5 and data["cut"] == 5


def test_to_dict_with_cut_tie_and_schulze_matrices():
    tied = tally(CATALOGUE, ballots("abcde", "abcdf")).to_dict()
    assert tied["cut_tie"] == {"principle_ids": ["e", "f"], "rank": 5}
    schulze = tally(("a", "b", "c", "d"), CLASSIC, method="schulze").to_dict()
    json.dumps(schulze)
    assert schulze["pairwise"]["c"] == {"a": 4, "b": 2, "d": 7}
    assert schulze["strongest_paths"]["b"] == {"a": 4, "c": 5, "d": 7}
    assert schulze["rows"][0]["points"] == 3.0
    assert schulze["rows"][0]["per_table"] == {}
    assert schulze["rows"][0]["settled_by"] == "schulze"
    empty = tally(CATALOGUE, []).to_dict()
    assert empty["warnings"] == ["No table has agreed a ranking yet"]


def test_results_are_frozen():
    result = tally(CATALOGUE, FIVE_TABLES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.method = "count"
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.rows[0].rank = 9
    with pytest.raises(dataclasses.FrozenInstanceError):
        TableBallot("T1", ("a",)).table_id = "T2"


def test_ballot_order_does_not_matter():
    forward = tally(CATALOGUE, FIVE_TABLES)
    backward = tally(CATALOGUE, list(reversed(FIVE_TABLES)))
    assert order(forward) == order(backward)
    assert ranks(forward) == ranks(backward)
    assert points(forward) == points(backward)


# ---------------------------------------------------------------------------------------------------------
# Properties over random ballots
# ---------------------------------------------------------------------------------------------------------


@st.composite
def workshops(draw):
    size = draw(st.integers(min_value=1, max_value=7))
    catalogue = tuple("abcdefg"[:size])
    table_count = draw(st.integers(min_value=0, max_value=7))
    rankings = []
    for _ in range(table_count):
        shuffled = draw(st.permutations(catalogue))
        length = draw(st.integers(min_value=0, max_value=min(5, size)))
        rankings.append(tuple(shuffled[:length]))
    return catalogue, [TableBallot(f"T{n}", r) for n, r in enumerate(rankings, start=1)]


@settings(max_examples=150, deadline=None)
@given(workshops(), st.sampled_from(METHODS))
def test_property_ranks_are_standard_competition_ranks(workshop, method):
    catalogue, table_ballots = workshop
    result = tally(catalogue, table_ballots, method=method)
    assert sorted(order(result)) == sorted(catalogue)
    for index, r in enumerate(result.rows):
        same_rank = [other for other in result.rows if other.rank == r.rank]
        assert r.shared == (len(same_rank) > 1)
        assert r.rank == 1 + sum(1 for other in result.rows if other.rank < r.rank)
        if index:
            assert r.rank >= result.rows[index - 1].rank
        assert (r.settled_by == "shared") == r.shared
    assert result.top == tuple(r.principle_id for r in result.rows if r.rank <= 5)
    if result.cut_tie is not None:
        assert result.cut_tie.rank <= 5
        assert len(result.cut_tie.principle_ids) > 1
        assert result.cut_tie.rank + len(result.cut_tie.principle_ids) - 1 > 5
    json.dumps(result.to_dict())


@settings(max_examples=150, deadline=None)
@given(workshops(), st.sampled_from(["borda", "dowdall", "count"]))
def test_property_points_descend_and_only_point_ties_are_settled(workshop, method):
    catalogue, table_ballots = workshop
    result = tally(catalogue, table_ballots, method=method)
    all_points = [r.points for r in result.rows]
    assert all_points == sorted(all_points, reverse=True)
    for r in result.rows:
        tied_on_points = all_points.count(r.points) > 1
        assert (r.settled_by is not None) == tied_on_points
        assert r.points == sum(r.per_table.values(), Fraction(0))


@settings(max_examples=100, deadline=None)
@given(workshops())
def test_property_borda_total_is_fifteen_per_full_ranking(workshop):
    catalogue, table_ballots = workshop
    result = tally(catalogue, table_ballots)
    # A ranking of n items hands out 5 + 4 + ... + (6 - n) points.
    expected = sum(sum(6 - p for p in range(1, len(b.ranking) + 1)) for b in table_ballots)
    assert sum(r.points for r in result.rows) == expected


@st.composite
def large_workshops(draw):
    """Up to 30 principles and 12 tables, as a locality's own Assessment Tool gives."""
    size = draw(st.integers(min_value=1, max_value=30))
    catalogue = tuple(f"p{i:02d}" for i in range(size))
    tables = draw(st.integers(min_value=0, max_value=12))
    table_ballots = []
    for n in range(tables):
        length = draw(st.integers(min_value=0, max_value=min(5, size)))
        ranking = draw(st.permutations(catalogue))[:length]
        table_ballots.append(TableBallot(f"T{n}", tuple(ranking)))
    return catalogue, table_ballots


def textbook_strongest_paths(catalogue, d):
    """Floyd–Warshall widest paths exactly as Schulze describes it, with no shortcut."""
    p = {a: {b: (d[a][b] if d[a][b] > d[b][a] else 0) for b in catalogue if b != a} for a in catalogue}
    for via in catalogue:
        for a in catalogue:
            for b in catalogue:
                if len({a, b, via}) == 3:
                    p[a][b] = max(p[a][b], min(p[a][via], p[via][b]))
    return p


@settings(max_examples=150, deadline=None)
@given(large_workshops())
def test_property_schulze_strongest_paths_equal_the_textbook_computation(workshop):
    catalogue, table_ballots = workshop
    result = tally(catalogue, table_ballots, method="schulze")
    assert result.strongest_paths == textbook_strongest_paths(catalogue, result.pairwise)


@settings(max_examples=50, deadline=None)
@given(large_workshops())
def test_property_tally_all_is_each_method_alone(workshop):
    catalogue, table_ballots = workshop
    every = tally_all(catalogue, table_ballots)
    assert list(every) == list(METHODS)
    for method, result in every.items():
        assert result == tally(catalogue, table_ballots, method=method)
    assert compare_methods(catalogue, table_ballots) == {m: list(r.top) for m, r in every.items()}

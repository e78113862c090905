"""The room's consensus, tallied from the tables' agreed top-five rankings.

Each table agrees a ranking of at most five principles, best first (a *ballot*). Only the first ``cut``
positions of a ranking are read (``cut`` is 5 unless a caller asks otherwise). Four methods:

* ``borda``   position p scores ``cut + 1 - p``: 5, 4, 3, 2, 1; a principle a table did not list scores 0,
              whatever the size of the catalogue.
* ``dowdall`` position p scores ``1/p``: 1, 1/2, 1/3, 1/4, 1/5.
* ``count``   1 point for every table that listed the principle, at any position.
* ``schulze`` pairwise majorities resolved by strongest paths (winning votes).

"Table prefers a to b" always means: the table ranked a above b, or listed a and not b. Two principles a
table did not list are no preference.

Ties on points (borda, dowdall, count) are never broken silently:

1. countback: more first places, then more second places, and so on through position ``cut``;
2. head-to-head inside the group still tied: a beats b when more tables prefer a to b; the group is
   ordered by wins inside the group, and every subgroup still tied is ordered again the same way, by
   wins inside that subgroup only;
3. what is still tied shares a rank (standard competition ranking: 1, 2, 2, 4).

Every row that was tied on points records which of these rules placed it (``settled_by``).

Schulze: d[a][b] = tables preferring a to b. There is a link a -> b of strength d[a][b] when
d[a][b] > d[b][a]; p[a][b] is the strength of the strongest (widest) path from a to b; a beats b when
p[a][b] > p[b][a]. Principles are ordered by how many others they beat; equal counts share a rank.

Arithmetic is exact (``Fraction``); ``to_dict()`` gives floats rounded to 3 decimals. Rows that share a
rank are listed in catalogue order. This module is pure: no I/O and only the standard library.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import groupby
from typing import Any

METHODS: tuple[str, ...] = ("borda", "dowdall", "count", "schulze")
DEFAULT_CUT = 5
MAX_RANKING_LENGTH = 5
# Below this many tables, Schulze rarely finds majorities strong enough to separate principles.
SCHULZE_FEW_TABLES = 6

NO_BALLOTS_WARNING = "No table has agreed a ranking yet"
SCHULZE_FEW_TABLES_WARNING = "With few tables Schulze often ties"

SETTLED_COUNTBACK = "countback"
SETTLED_HEAD_TO_HEAD = "head_to_head"
SETTLED_SHARED = "shared"
SETTLED_SCHULZE = "schulze"

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")

Preferences = dict[str, dict[str, int]]


# ---------------------------------------------------------------------------------------------------------
# Public data
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableBallot:
    """One table's agreed ranking: principle ids, best first, at most five, distinct."""

    table_id: str
    ranking: tuple[str, ...]


@dataclass(frozen=True)
class CutTie:
    """A rank shared across the cut (e.g. two principles share 5th place): the room must settle it."""

    principle_ids: tuple[str, ...]
    rank: int

    def to_dict(self) -> dict[str, Any]:
        return {"principle_ids": list(self.principle_ids), "rank": self.rank}


@dataclass(frozen=True)
class TallyRow:
    """One principle's line in the tally."""

    principle_id: str
    rank: int
    shared: bool
    points: Fraction
    per_table: dict[str, Fraction]  # only tables that gave it points; empty for schulze
    rank_counts: tuple[int, ...]  # tables that put it 1st, 2nd, ... cut-th
    settled_by: str | None

    @property
    def first_places(self) -> int:
        return self.rank_counts[0]

    @property
    def tables_ranked(self) -> int:
        # Rankings are read only to the cut, so every listing is counted in rank_counts.
        return sum(self.rank_counts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "principle_id": self.principle_id,
            "rank": self.rank,
            "shared": self.shared,
            "points": _to_float(self.points),
            "per_table": {table_id: _to_float(points) for table_id, points in self.per_table.items()},
            "rank_counts": list(self.rank_counts),
            "first_places": self.first_places,
            "tables_ranked": self.tables_ranked,
            "settled_by": self.settled_by,
        }


@dataclass(frozen=True)
class TallyResult:
    """The room's consensus by one method."""

    method: str
    method_label: str
    tie_break_rule: str
    cut: int
    ballot_count: int
    rows: tuple[TallyRow, ...]  # in final order
    top: tuple[str, ...]  # ids with rank <= cut: more than `cut` when a shared rank straddles the cut
    cut_tie: CutTie | None
    pairwise: Preferences | None  # schulze only: d[a][b] = tables preferring a to b
    strongest_paths: Preferences | None  # schulze only
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "method_label": self.method_label,
            "tie_break_rule": self.tie_break_rule,
            "cut": self.cut,
            "ballot_count": self.ballot_count,
            "rows": [row.to_dict() for row in self.rows],
            "top": list(self.top),
            "cut_tie": self.cut_tie.to_dict() if self.cut_tie else None,
            "pairwise": _copy_matrix(self.pairwise),
            "strongest_paths": _copy_matrix(self.strongest_paths),
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------------------


def _ordinal(n: int) -> str:
    if n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _method_label(method: str, cut: int) -> str:
    if method == "borda":
        if cut == 1:
            return "Borda count (rank 1 = 1 point)"
        return f"Borda count (rank 1 = {cut} points … rank {cut} = 1 point)"
    if method == "dowdall":
        if cut == 1:
            return "Dowdall (rank 1 = 1 point)"
        return f"Dowdall (rank 1 = 1 point, rank 2 = 1/2 … rank {cut} = 1/{cut})"
    if method == "count":
        return "Count (1 point for each table that ranked it)"
    return "Schulze (pairwise majorities between tables, strongest paths)"


def _tie_break_rule(method: str, cut: int) -> str:
    if method == "schulze":
        return (
            "Principles are ordered by how many others they beat on strongest paths (Schulze, winning "
            "votes); principles that cannot be separated share a rank."
        )
    if cut == 1:
        countback = "more first places"
    elif cut == 2:
        countback = "more first places, then more second places"
    else:
        countback = f"more first places, then more second places, and so on to {_ordinal(cut)} places"
    return (
        f"Ties on points are broken by countback ({countback}), then head-to-head within the tied group "
        "(a principle beats another when more tables ranked it higher); principles still tied share a rank."
    )


METHOD_LABELS: dict[str, str] = {method: _method_label(method, DEFAULT_CUT) for method in METHODS}


# ---------------------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------------------


def tally(
    principle_ids: Sequence[str],
    ballots: Sequence[TableBallot],
    method: str = "borda",
    cut: int = DEFAULT_CUT,
) -> TallyResult:
    """Tally the tables' rankings by `method`. Raises ValueError on bad input."""
    catalogue = _checked_catalogue(principle_ids)
    _check_method(method)
    _check_cut(cut)
    rankings = _checked_rankings(catalogue, ballots, cut)
    rank_counts = _rank_counts(catalogue, rankings, cut)
    preferences = _preferences(catalogue, rankings.values())

    pairwise: Preferences | None = None
    strongest: Preferences | None = None
    if method == "schulze":
        strongest = _strongest_paths(catalogue, preferences)
        beaten = _schulze_beaten_counts(catalogue, strongest)
        points = {pid: Fraction(beaten[pid]) for pid in catalogue}
        per_table: dict[str, dict[str, Fraction]] = {pid: {} for pid in catalogue}
        tiers, settled_by = _order_by_schulze(catalogue, beaten)
        pairwise = preferences
    else:
        per_table = _per_table_points(catalogue, rankings, method, cut)
        points = {pid: sum(per_table[pid].values(), Fraction(0)) for pid in catalogue}
        tiers, settled_by = _order_by_points(catalogue, points, rank_counts, preferences)

    rows = _build_rows(tiers, settled_by, points, per_table, rank_counts)
    return TallyResult(
        method=method,
        method_label=_method_label(method, cut),
        tie_break_rule=_tie_break_rule(method, cut),
        cut=cut,
        ballot_count=len(rankings),
        rows=rows,
        top=tuple(row.principle_id for row in rows if row.rank <= cut),
        # With no ballot every principle shares first place: nothing has been tallied, so nothing is tied.
        cut_tie=_cut_tie(tiers, cut) if rankings else None,
        pairwise=pairwise,
        strongest_paths=strongest,
        warnings=_warnings(method, len(rankings)),
    )


def tally_all(
    principle_ids: Sequence[str], ballots: Sequence[TableBallot], cut: int = DEFAULT_CUT
) -> dict[str, TallyResult]:
    """The tally by every method (the facilitator sees one and how the others compare)."""
    return {method: tally(principle_ids, ballots, method, cut) for method in METHODS}


def compare_methods(
    principle_ids: Sequence[str], ballots: Sequence[TableBallot], cut: int = DEFAULT_CUT
) -> dict[str, list[str]]:
    """Each method's top `cut` ids in order (a tied group at the cut is included whole)."""
    return top_by_method(tally_all(principle_ids, ballots, cut))


def top_by_method(results: dict[str, TallyResult]) -> dict[str, list[str]]:
    return {method: list(result.top) for method, result in results.items()}


# ---------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------


def _checked_catalogue(principle_ids: Sequence[str]) -> tuple[str, ...]:
    catalogue = tuple(principle_ids)
    if len(set(catalogue)) != len(catalogue):
        raise ValueError("principle_ids contains duplicates")
    return catalogue


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown tally method {method!r}; expected one of {', '.join(METHODS)}")


def _check_cut(cut: int) -> None:
    # bool is an int subclass; True as a cut is certainly a mistake.
    if not isinstance(cut, int) or isinstance(cut, bool) or cut < 1:
        raise ValueError(f"cut must be a positive integer, not {cut!r}")


def _checked_rankings(
    catalogue: tuple[str, ...], ballots: Sequence[TableBallot], cut: int
) -> dict[str, tuple[str, ...]]:
    """table_id -> ranking read to the cut, in ballot order."""
    known = set(catalogue)
    rankings: dict[str, tuple[str, ...]] = {}
    for ballot in ballots:
        ranking = tuple(ballot.ranking)
        if ballot.table_id in rankings:
            raise ValueError(f"table {ballot.table_id!r} has more than one ballot")
        if len(ranking) > MAX_RANKING_LENGTH:
            raise ValueError(f"table {ballot.table_id!r} ranked {len(ranking)} principles; at most 5")
        if len(set(ranking)) != len(ranking):
            raise ValueError(f"table {ballot.table_id!r} ranked a principle twice")
        unknown = [pid for pid in ranking if pid not in known]
        if unknown:
            raise ValueError(f"table {ballot.table_id!r} ranked unknown principles: {', '.join(unknown)}")
        rankings[ballot.table_id] = ranking[:cut]
    return rankings


# ---------------------------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------------------------


def _position_points(method: str, position: int, cut: int) -> Fraction:
    """Points for 1-based `position` (always <= cut)."""
    if method == "borda":
        return Fraction(cut + 1 - position)
    if method == "dowdall":
        return Fraction(1, position)
    return Fraction(1)  # count


def _per_table_points(
    catalogue: tuple[str, ...], rankings: dict[str, tuple[str, ...]], method: str, cut: int
) -> dict[str, dict[str, Fraction]]:
    per_table: dict[str, dict[str, Fraction]] = {pid: {} for pid in catalogue}
    for table_id, ranking in rankings.items():
        for position, pid in enumerate(ranking, start=1):
            per_table[pid][table_id] = _position_points(method, position, cut)
    return per_table


def _rank_counts(
    catalogue: tuple[str, ...], rankings: dict[str, tuple[str, ...]], cut: int
) -> dict[str, tuple[int, ...]]:
    counts = {pid: [0] * cut for pid in catalogue}
    for ranking in rankings.values():
        for index, pid in enumerate(ranking):
            counts[pid][index] += 1
    return {pid: tuple(row) for pid, row in counts.items()}


def _preferences(catalogue: tuple[str, ...], rankings: Iterable[tuple[str, ...]]) -> Preferences:
    """d[a][b] = number of tables preferring a to b (a listed principle beats an unlisted one)."""
    d = {a: {b: 0 for b in catalogue if b != a} for a in catalogue}
    for ranking in rankings:
        unlisted = [pid for pid in catalogue if pid not in ranking]
        for index, a in enumerate(ranking):
            for b in ranking[index + 1 :]:
                d[a][b] += 1
            for b in unlisted:
                d[a][b] += 1
    return d


# ---------------------------------------------------------------------------------------------------------
# Ordering: points, countback, head-to-head
# ---------------------------------------------------------------------------------------------------------


def _groups_descending(items: Sequence[str], key: Callable[[str], Any]) -> list[list[str]]:
    """Split `items` into groups of equal key, highest key first; each group keeps the input order."""
    # sorted() is stable even with reverse=True, so catalogue order survives inside each group.
    ordered = sorted(items, key=key, reverse=True)
    return [list(group) for _, group in groupby(ordered, key=key)]


def _head_to_head(group: list[str], preferences: Preferences) -> list[list[str]]:
    """Order a tied group by pairwise wins inside it, recursively; returns tiers (still-tied ids share)."""

    def wins(a: str) -> int:
        return sum(1 for b in group if b != a and preferences[a][b] > preferences[b][a])

    tiers = _groups_descending(group, wins)
    if len(tiers) == 1:
        return tiers  # nobody separable: the whole group shares a rank
    result: list[list[str]] = []
    for tier in tiers:
        # A smaller subgroup is judged again on its own pairs only.
        result.extend(_head_to_head(tier, preferences) if len(tier) > 1 else [tier])
    return result


def _order_by_points(
    catalogue: tuple[str, ...],
    points: dict[str, Fraction],
    rank_counts: dict[str, tuple[int, ...]],
    preferences: Preferences,
) -> tuple[list[list[str]], dict[str, str | None]]:
    """Tiers in final order, and which rule placed each row that was tied on points."""
    tiers: list[list[str]] = []
    settled_by: dict[str, str | None] = {}
    for points_group in _groups_descending(catalogue, points.__getitem__):
        if len(points_group) == 1:
            tiers.append(points_group)
            settled_by[points_group[0]] = None
            continue
        # Tuples compare lexicographically: more firsts, then more seconds, ...
        for countback_group in _groups_descending(points_group, rank_counts.__getitem__):
            if len(countback_group) == 1:
                tiers.append(countback_group)
                settled_by[countback_group[0]] = SETTLED_COUNTBACK
                continue
            for tier in _head_to_head(countback_group, preferences):
                tiers.append(tier)
                for pid in tier:
                    settled_by[pid] = SETTLED_SHARED if len(tier) > 1 else SETTLED_HEAD_TO_HEAD
    return tiers, settled_by


# ---------------------------------------------------------------------------------------------------------
# Ordering: Schulze
# ---------------------------------------------------------------------------------------------------------


def _strongest_paths(catalogue: tuple[str, ...], d: Preferences) -> Preferences:
    """Widest-path strengths (Floyd–Warshall) over links a -> b where d[a][b] > d[b][a].

    It runs inside a command (every agree and reopen), on 20-30 principles: a path through ``via`` can only
    widen a -> b when a reaches ``via`` at all, so pairs with p[a][via] == 0 (most of them: principles no table
    ranked beat nobody) are skipped, which is the same result for a fraction of the work.
    """
    p = {a: {b: (d[a][b] if d[a][b] > d[b][a] else 0) for b in d[a]} for a in catalogue}
    for via in catalogue:
        from_via = p[via]
        if not any(from_via.values()):
            continue  # via beats nobody: no path goes on from it
        for a in catalogue:
            if a == via:
                continue
            to_via = p[a][via]
            if to_via == 0:
                continue
            from_a = p[a]
            for b, strength in from_via.items():
                if b == a:
                    continue
                width = strength if strength < to_via else to_via
                if width > from_a[b]:
                    from_a[b] = width
    return p


def _schulze_beaten_counts(catalogue: tuple[str, ...], p: Preferences) -> dict[str, int]:
    return {a: sum(1 for b in catalogue if b != a and p[a][b] > p[b][a]) for a in catalogue}


def _order_by_schulze(
    catalogue: tuple[str, ...], beaten: dict[str, int]
) -> tuple[list[list[str]], dict[str, str | None]]:
    tiers = _groups_descending(catalogue, beaten.__getitem__)
    settled_by: dict[str, str | None] = {
        pid: SETTLED_SHARED if len(tier) > 1 else SETTLED_SCHULZE for tier in tiers for pid in tier
    }
    return tiers, settled_by


# ---------------------------------------------------------------------------------------------------------
# Assembling the result
# ---------------------------------------------------------------------------------------------------------


def _build_rows(
    tiers: list[list[str]],
    settled_by: dict[str, str | None],
    points: dict[str, Fraction],
    per_table: dict[str, dict[str, Fraction]],
    rank_counts: dict[str, tuple[int, ...]],
) -> tuple[TallyRow, ...]:
    rows: list[TallyRow] = []
    for tier in tiers:
        rank = len(rows) + 1  # standard competition ranking: 1, 2, 2, 4
        for pid in tier:
            rows.append(
                TallyRow(
                    principle_id=pid,
                    rank=rank,
                    shared=len(tier) > 1,
                    points=points[pid],
                    per_table=dict(per_table[pid]),
                    rank_counts=rank_counts[pid],
                    settled_by=settled_by[pid],
                )
            )
    return tuple(rows)


def _cut_tie(tiers: list[list[str]], cut: int) -> CutTie | None:
    rank = 1
    for tier in tiers:
        last_place = rank + len(tier) - 1
        if rank <= cut < last_place:
            return CutTie(principle_ids=tuple(tier), rank=rank)
        rank = last_place + 1
    return None


def _warnings(method: str, ballot_count: int) -> tuple[str, ...]:
    if ballot_count == 0:
        return (NO_BALLOTS_WARNING,)
    if method == "schulze" and ballot_count < SCHULZE_FEW_TABLES:
        return (SCHULZE_FEW_TABLES_WARNING,)
    return ()


def _to_float(value: Fraction) -> float:
    return round(float(value), 3)


def _copy_matrix(matrix: Preferences | None) -> Preferences | None:
    if matrix is None:
        return None
    return {a: dict(row) for a, row in matrix.items()}

"""Property-based (issue 13, finding 6): any workshop export the import accepts makes a workshop that every role
can be given a snapshot of and that every report format renders; anything else is refused as ``invalid_payload``
(or ``invalid_json``), never with another error.

Hypothesis mutates a real export (the workshop of tests/services/test_reports.py, run through the command bus):
fields dropped, set to another field's value, to junk (odd text with control characters, lone surrogates and
non-characters, numbers past any limit, nested lists and objects), list items dropped or repeated. Each mutated
export goes through what the server does: ``canonical_export`` (the parser child) and ``import_workshop``.
``IMPORT_EXAMPLES`` sets the examples (60 in ``make test``; derandomized, so CI runs the same ones);
``IMPORT_EXPLORE=1 IMPORT_EXAMPLES=1000`` hunts with new ones.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from sqlmodel import select

from server.domain.room import MAX_PARTICIPANTS_PER_TABLE
from server.models import Participant, Workshop
from server.reports import csv as csv_report
from server.reports import docx as docx_report
from server.reports import html as html_report
from server.reports import xlsx as xlsx_report
from server.reports.data import assemble, load_report_rows
from server.reports.json_export import export, import_workshop
from server.reports.json_import import canonical_export
from server.services.commands import Actor
from server.services.errors import CommandError
from server.services.state import build_snapshot
from server.services.workshops import join_table
from tests.services.conftest import world  # noqa: F401  (the fixture: a workshop driven by the command bus)
from tests.services.test_reports import run_workshop

pytestmark = pytest.mark.asyncio

EXAMPLES = int(os.environ.get("IMPORT_EXAMPLES", "60"))
EXPLORE = bool(os.environ.get("IMPORT_EXPLORE"))  # new examples each run, for a long hunt
NOW = 1_800_003_000.0
RENDERERS = {"docx": docx_report, "xlsx": xlsx_report, "zip": csv_report, "html": html_report}
ODD = "\x00\x01\x08\x0b\x0c\x1f\x7f\x85\ud800\udfff\ufeff\ufffe\uffff\U0010ffff\u202e\t\n\r"

odd_text = st.text(alphabet=st.sampled_from(ODD) | st.characters(), max_size=40)
big_numbers = st.sampled_from(
    [0, -1, 1, 4, 5, 6, 59, 60, 100, 101, 2**31 - 1, 2**31, 2**63, 2**64, 10**30, 1e7, -1e7, 1e11, 1e11 + 1,
     1e308, -1e308, 0.5, -0.0, 5e-324]
)
junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | odd_text
    | big_numbers,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)


# --- mutations: (which node, by its place in a walk of the export; what to do; a value) -------------------------


def places(value: Any, path: tuple = ()) -> list[tuple]:
    """Every node's path in the export, the export's report (ignored on import) left out."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            if path == () and key in ("report", "exported_at"):
                continue
            found += places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, (*path, index))
    return found


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


mutation = st.tuples(
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["odd_text", "odd_text", "odd_text", "number", "flip", "drop", "repeat", "delete", "neighbour", "junk"]),
    junk,
    st.integers(min_value=0, max_value=10**6),
    odd_text,
    big_numbers,
)


FITS = {  # the nodes each kind of mutation picks from
    "odd_text": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "flip": lambda v: isinstance(v, bool),
    "drop": lambda v: isinstance(v, list) and bool(v),
    "repeat": lambda v: isinstance(v, list) and bool(v),
}


def mutate(base: dict, mutations: list[tuple]) -> dict:
    data = copy.deepcopy(base)
    for where, kind, junk_value, pick, text, number in mutations:
        nodes = [(p, node_at(data, p)) for p in places(data) if p]
        fitting = [p for p, v in nodes if FITS.get(kind, lambda v: True)(v)] or [p for p, _v in nodes]
        path = fitting[where % len(fitting)]
        parent = node_at(data, path[:-1])
        last, current = path[-1], parent[path[-1]]
        if kind == "delete":
            del parent[last]
        elif kind in ("drop", "repeat") and isinstance(current, list) and current:
            if kind == "drop":
                current.pop(pick % len(current))
            else:
                current.append(copy.deepcopy(current[pick % len(current)]))
        elif kind == "neighbour":
            everything = leaves(data)
            parent[last] = everything[pick % len(everything)]
        elif kind == "odd_text":
            parent[last] = (current[: pick % 50] + text + current[pick % 50 :]) if isinstance(current, str) else text
        elif kind == "number":
            parent[last] = number
        elif kind == "flip" and isinstance(current, bool):
            parent[last] = not current
        else:
            parent[last] = junk_value
    return data


def node_at(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


# --- what every accepted workshop must allow -------------------------------------------------------------------


async def base_export(world) -> dict:  # noqa: F811
    """The export of the run workshop, made once per test (hypothesis runs every example in the same test)."""
    if not hasattr(world, "base_export"):
        await run_workshop(world)
        async with world.sessions() as session:
            workshop = await session.get(Workshop, world.workshop_id)
            world.base_export = export(await load_report_rows(session, workshop, world.clock.now))
    return world.base_export


def as_body(data: dict) -> bytes:
    """As a client would send it: JSON, lone surrogates escaped (``\\ud800``), as json.dumps writes them."""
    return json.dumps(data).encode()


async def import_or_refusal(world, body: bytes):  # noqa: F811
    """The workshop the server would store from ``body``, or the refusal (which must say what was wrong)."""
    try:
        checked = canonical_export(body)  # in the parser child
        async with world.sessions() as session:
            return await import_workshop(session, json.loads(json.dumps(checked)), now=NOW)  # the answer, as sent
    except CommandError as refusal:
        assert refusal.code in ("invalid_payload", "invalid_json"), refusal.to_payload()
        assert refusal.message and (refusal.code == "invalid_json" or refusal.extra["field"]), refusal.to_payload()
        return refusal


async def every_role_and_report_works(world, workshop_id: str) -> dict:  # noqa: F811
    """Snapshots for the facilitator, the projector and a phone at each table; each report format; its export
    imports again. The export, to compare."""
    async with world.sessions() as session:
        workshop = await session.get(Workshop, workshop_id)
        for role in ("facilitator", "projector"):
            snapshot = await build_snapshot(session, Actor(workshop_id, role), NOW)
            json.dumps(snapshot, allow_nan=False)  # what socket.io sends: finite JSON
        table_ids = [t["id"] for t in snapshot["tables"]]
        join_code = workshop.join_code
    for table_id in table_ids:
        async with world.sessions() as session:
            try:
                participant_id = (await join_table(session, join_code, {"table_id": table_id}, now=NOW)).participant_id
            except CommandError as refused:
                assert refused.code == "table_full"  # a full table: look through one of its phones instead
                participant_id = (await session.exec(select(Participant.id).where(Participant.table_id == table_id))).first()
        async with world.sessions() as session:
            phone = Actor(workshop_id, "participant", participant_id, table_id)
            json.dumps(await build_snapshot(session, phone, NOW), allow_nan=False)
    async with world.sessions() as session:
        workshop = await session.get(Workshop, workshop_id)
        rows = await load_report_rows(session, workshop, NOW)
    report = assemble(rows)
    for fmt, renderer in RENDERERS.items():
        assert renderer.render(report), fmt
    exported = export(rows)
    body = json.dumps(exported, ensure_ascii=False, allow_nan=False).encode("utf-8")  # report.json
    again = await import_or_refusal(world, body)
    assert not isinstance(again, CommandError), f"its own export is refused: {again.to_payload()}"
    return exported


# --- the properties --------------------------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not EXPLORE,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutations=st.lists(mutation, min_size=1, max_size=4))
async def test_any_export_the_import_accepts_gives_every_role_a_snapshot_and_every_report(world, mutations):  # noqa: F811
    spoiled = mutate(await base_export(world), mutations)
    outcome = await import_or_refusal(world, as_body(spoiled))
    if isinstance(outcome, CommandError):
        note(f"refused: {outcome.to_payload()}")
        event(f"refused: {outcome.extra.get('field', outcome.code)}")  # --hypothesis-show-statistics
        return
    event("accepted")
    await every_role_and_report_works(world, outcome.workshop.id)


async def test_the_export_itself_and_odd_text_in_every_string_are_accepted_and_work(world):  # noqa: F811
    """Not vacuous: the export is accepted as it is; and with odd characters added to every piece of text it is
    accepted too (cleaned, as typed text is), and works."""
    base = await base_export(world)
    outcome = await import_or_refusal(world, as_body(base))
    assert not isinstance(outcome, CommandError), outcome.to_payload()
    await every_role_and_report_works(world, outcome.workshop.id)

    def odd(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: odd(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [odd(v, key) for v in value]
        free_text = key in {"title", "locality", "name", "summary", "statement", "notes", "note", "action",
                            "owner", "instructions", "engagement_notes", "descriptors"}
        return value + "\x01\x0b\ud800\ufffe" if isinstance(value, str) and free_text else value

    outcome = await import_or_refusal(world, as_body(odd(base)))
    assert not isinstance(outcome, CommandError), outcome.to_payload()
    exported = await every_role_and_report_works(world, outcome.workshop.id)
    texts = [leaf for leaf in leaves(exported) if isinstance(leaf, str)]
    assert not [t for t in texts if any(c in t for c in "\x01\x0b\ud800\ufffe")]


def _edges() -> dict:
    """Exports at the edges of what is accepted, each of which must then work."""

    def every(key: str, value):
        def change(data: dict) -> None:
            def walk(node):
                if isinstance(node, dict):
                    for k in node:
                        if k == key:
                            node[k] = value
                        else:
                            walk(node[k])
                elif isinstance(node, list):
                    for item in node:
                        walk(item)

            walk({k: v for k, v in data.items() if k != "report"})

        return change

    def longest(data: dict) -> None:
        data["workshop"].update(title="\u202e" * 200, locality="\U0001f600" * 200)
        for p in data["principles"]:
            p.update(name="N" * 120, summary="s" * 500, statement="S\n" * 1000, notes="n" * 2000,
                     descriptors=["d" * 1000] * 4, key_principles=[q["principle_id"] for q in data["principles"][:8]])
        for t in data["tables"]:
            t["participants"] = 99  # the most (100) once a phone joins (see the test after this one)
        for s in data["agenda"]:
            s.update(title="T" * 120, instructions="i" * 1000, planned_seconds=14400)
        for sheet in data["worksheets"]:
            sheet.update(state=None, text={cell: "w" * 4000 for cell in sheet["text"]})
        data["reasons"] = [  # every table a reason of the most characters for every principle
            {"table": i, "text": {p["principle_id"]: "r" * 200 for p in data["principles"]}}
            for i in range(len(data["tables"]))
        ]
        data["plan"]["actions"] = [
            {"action": "a" * 500, "owner": "o" * 120, "due": "d" * 40, "created_at": 0} for _ in range(200)
        ]

    def unknown_key_principles(data: dict) -> None:
        data["principles"][0]["key_principles"] = ["no-such-principle", "Ab_9.-"]

    def running_timer(data: dict) -> None:
        data["agenda"][0].update(status="running", deadline=1e11, run_started_at=0.0, remaining_seconds=-1e7,
                                 elapsed_seconds=1e7)
        data["workshop"]["current_segment"] = len(data["agenda"]) - 1

    def one_principle(data: dict) -> None:
        first = data["principles"][0]["principle_id"]
        data["principles"] = data["principles"][:1]
        data["rankings"] = [{"table": 0, "items": [first], "agreed": True}]
        data["workshop"]["confirmed"] = {"items": [first]}
        data["worksheets"] = [w for w in data["worksheets"] if w["priority_id"] == first]
        data["reasons"] = [{"table": 0, "text": {first: "The only one"}}]
        data["agenda"] = [s for s in data["agenda"] if s.get("subject") in (None, first)]
        data["workshop"]["current_segment"] = None
        for action in data["plan"]["actions"]:
            action["priority_id"] = None

    def bare(data: dict) -> None:
        for key in ("rankings", "agenda", "worksheets", "plan", "reasons", "notes"):
            del data[key]
        data["workshop"] = {"title": "x", "created_at": 0}
        data["tables"] = [{"name": "only"}]

    return {
        "times at 1e11": every("created_at", 1e11),
        "times at 0": every("updated_at", 0),
        "longest texts": longest,
        "unknown key principles": unknown_key_principles,
        "a running timer past its end": running_timer,
        "one principle": one_principle,
        "only what is required": bare,
    }


EDGES = _edges()


@pytest.mark.parametrize("edge", list(EDGES))
async def test_exports_at_the_edges_of_what_is_accepted_work(world, edge):  # noqa: F811
    data = copy.deepcopy(await base_export(world))
    EDGES[edge](data)
    outcome = await import_or_refusal(world, as_body(data))
    assert not isinstance(outcome, CommandError), outcome.to_payload()
    await every_role_and_report_works(world, outcome.workshop.id)


async def test_a_full_table_refuses_the_next_phone_and_its_export_imports_again(world):  # noqa: F811
    """Joining a table is capped at the import's bound (100 phones over the workshop, joins again included), so
    a workshop the server made itself always comes back from its own export."""
    joins = 0
    with pytest.raises(CommandError) as refused:
        while joins <= MAX_PARTICIPANTS_PER_TABLE:
            await world.participant(0)
            joins += 1
    assert refused.value.code == "table_full" and refused.value.status == 409
    await world.participant(1)  # another table still takes phones
    async with world.sessions() as session:
        workshop = await session.get(Workshop, world.workshop_id)
        exported = export(await load_report_rows(session, workshop, world.clock.now))
    assert exported["tables"][0]["participants"] == MAX_PARTICIPANTS_PER_TABLE
    outcome = await import_or_refusal(world, as_body(exported))
    assert not isinstance(outcome, CommandError), outcome.to_payload()
    await every_role_and_report_works(world, outcome.workshop.id)

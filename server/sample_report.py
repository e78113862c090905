"""``make sample-report``: the demo workshop (``make demo``'s Northshire, four tables) run to the end through the
command bus, and its Phase 1 report written in every format into a folder (docs/report.md).

Nothing is served and nothing waits: the workshop lives in a throw-away SQLite file and the clock is set by hand
(7 December 2026, from 09:30 London time). Fifth place is a tie that the rules cannot separate, which the room
settles (with a reason from the short list and a note), so the report shows how an audited consensus reads.

The report stays a **draft**, as every report is straight after a workshop: "Final" is for the facilitator to mark
once the room's record has been checked, and a sample that says "Final" would show a state nobody agreed.
``--final`` marks it final at the end (by the facilitator), to see the final marking.

    python -m server.sample_report [FOLDER] [--final]      (default var/sample-report)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import tempfile
import zoneinfo
from pathlib import Path

from .broadcast import MemoryBroadcaster
from .db import create_schema, make_engine, make_session_factory
from .domain import reasons as reason_rules
from .domain import worksheet as w
from .models import Workshop
from .reports import FORMATS
from .reports.data import assemble, load_report_rows
from .reports.json_export import export
from .services import every_command  # noqa: F401  (registers every command)
from .services.commands import Actor, CommandBus
from .services.state import build_snapshot
from .services.workshops import CreateWorkshop, create_workshop, join_table
from .settings import Settings

TITLE = "Demo: Northshire Phase 1 workshop"
LOCALITY = "Northshire"
TABLE_NAMES = ["Red", "Blue", "Green", "Yellow"]  # as server.demo
BASELINE = {"needs-led": 2, "accessibility": 3, "common-language": 2, "outcome-informed": 1,
            "partnership-working": 3, "reducing-stigma": 2, "shared-decision-making": 3}
AGREED = {"needs-led": 2, "outcome-informed": 2, "reducing-stigma": 1}
FIVES = {
    "Red": ["needs-led", "accessibility", "common-language", "outcome-informed", "partnership-working"],
    "Blue": ["accessibility", "needs-led", "outcome-informed", "common-language", "reducing-stigma"],
    "Green": ["needs-led", "common-language", "outcome-informed", "partnership-working", "reducing-stigma"],
    "Yellow": ["accessibility", "outcome-informed", "needs-led", "reducing-stigma", "partnership-working"],
}
# Each table's reasons, one line per priority of its five (written on the table's phones in Exercise 1).
REASONS = {
    "Red": {"needs-led": "Families tell us they are sent from service to service before anyone asks what they need.",
            "accessibility": "Nothing is open after five, and the buses from the villages stop at six.",
            "outcome-informed": "We count appointments, not whether young people feel better."},
    "Blue": {"accessibility": "Waiting lists for a first assessment run to nine months.",
             "reducing-stigma": "Young people at our table said they would not ask for help at school."},
    "Green": {"needs-led": "Thresholds decide too much; the conversation about need comes too late.",
              "common-language": "Health, schools and social care each describe the same child differently.",
              "partnership-working": "The partnership meets, but decisions still happen in each agency alone."},
    "Yellow": {"reducing-stigma": "Stigma keeps boys in particular away until things are at crisis point.",
               "accessibility": "Online referral helps some families and shuts others out."},
}
ROOM = ["accessibility", "needs-led", "common-language", "outcome-informed", "reducing-stigma"]
ROOM_NOTE = "Young people told us stigma stops them asking for help; the partnership already works well."
ROOM_REASON = "local_evidence"  # domain.report_status.TIE_REASONS
CONSOLIDATED = {
    "accessibility": {
        "in_place": "Single point of access, weekdays 9 to 5.\nSchool nurses in every secondary school.",
        "in_development": "Online self-referral (pilot in the north of the county).",
        "gaps": "No drop-in in the evenings for 16 to 18 year olds.\nBuses from the villages stop at six.",
        "training": "Reception staff: first contact with a young person in distress.",
        "recommendations": "Open an evening drop-in in the town centre, with the youth service.\n"
                           "Map transport from the villages.",
    },
    "needs-led": {
        "in_place": "Getting Advice offered by the schools' mental health teams.",
        "gaps": "Thresholds still decide where a family goes; referrals bounce between services.",
        "recommendations": "One shared conversation about needs before any referral is refused.",
    },
    "common-language": {
        "gaps": "Each agency describes need in its own words.",
        "recommendations": "Adopt the THRIVE groupings in referral forms across health, education and care.",
    },
    "outcome-informed": {
        "in_place": "Goal-based outcomes in the specialist service.",
        "recommendations": "Agree three shared outcome measures for the partnership board.",
    },
    "reducing-stigma": {
        "gaps": "Young people say they do not ask for help because of what friends would say.",
        "recommendations": "Co-produce an anti-stigma campaign with the youth council.",
    },
}
TABLE_NOTES = {
    ("accessibility", "Red"): {"gaps": "Buses stop at six.", "recommendations": "Evening drop-in."},
    ("accessibility", "Blue"): {"in_place": "Single point of access.", "gaps": "Waiting lists for assessment."},
    ("needs-led", "Green"): {"gaps": "Referrals bounce between services."},
    ("reducing-stigma", "Yellow"): {"gaps": "Stigma in secondary schools.", "training": "Peer mentors."},
}
# A plan that can be governed (issue 17): each action serves a priority and, where the room wrote one, a line of
# its consolidated recommendations; owners are roles, never people; dates are dates; each has a measure.
# Reducing stigma is left with no action, so the report shows how it flags one.
ACTIONS = [
    {"action": "Map evening and weekend provision for 16 to 18 year olds", "priority_id": "accessibility",
     "recommendation": "Map transport from the villages.", "owner": "Commissioning lead, ICB",
     "due": "2027-03-31", "review": "2027-04-28", "measure": "A map of provision and bus times the board can read"},
    {"action": "Open an evening drop-in with the youth service", "priority_id": "accessibility",
     "recommendation": "Open an evening drop-in in the town centre, with the youth service.",
     "owner": "Youth service manager", "due": "2027-09-30", "review": "2027-06-30",
     "measure": "Open two evenings a week; 30 young people seen a month by December 2027"},
    {"action": "Draft a shared needs conversation for all referrers", "priority_id": "needs-led",
     "recommendation": "One shared conversation about needs before any referral is refused.",
     "owner": "Clinical lead, CAMHS", "due": "2027-04-30", "review": "2027-07-31",
     "measure": "Half as many referrals refused without a conversation"},
    {"action": "Put the THRIVE groupings into the referral forms", "priority_id": "common-language",
     "owner": "Partnership manager", "due": "2027-06-30", "status": "in_progress",
     "measure": "Every partner's referral form uses the groupings"},
    {"action": "Agree three shared outcome measures", "priority_id": "outcome-informed",
     "recommendation": "Agree three shared outcome measures for the partnership board.",
     "owner": "Partnership board", "due": "2026-12-20", "review": "2027-03-15",
     "measure": "Three measures agreed and reported each quarter"},
]
# The method as it happens (issue 17): the opening review's findings, and what each table said in Exercise 2.
REVIEW_NOTES = (
    "Pathway mapping: families wait longest between the first call and a first conversation; the evening gap "
    "came up in every map.\nData: referrals from schools up by a third in two years; fewer than half of "
    "16 to 18 year olds referred were seen within eight weeks.\nLowest scores: outcome-informed and reducing "
    "stigma; the room agreed 1 for stigma today."
)
SHARE_NOTES = {
    "Red": "Put needs-led first: families tell their story again at every door.",
    "Blue": "Access first: nothing in the evenings, and the villages' buses stop at six.",
    "Green": "Chose common language because referral forms read differently in every agency.",
    "Yellow": "Stigma came from the young people at the table: friends decide whether you ask for help.",
}
# Who sits at each table (no names): the first phone of a table says it, as a table would (issue 17; make demo too).
MAKEUP = {
    "Red": (["health", "education", "parent_carers"], 6),
    "Blue": (["social_care", "voluntary", "young_people"], 5),
    "Green": (["health", "commissioning", "young_people"], 6),
    "Yellow": (["education", "voluntary", "other"], 5),
}
START = dt.datetime(2026, 12, 7, 9, 30, tzinfo=zoneinfo.ZoneInfo("Europe/London")).timestamp()


class _Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def _edit(sheet: dict, cell: str, value: str) -> str:
    return w.b64encode(w.text_update(w.b64decode(sheet["state"], limit=1 << 30), cell, value))


async def build(folder: Path, *, final: bool = False) -> list[Path]:
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(Settings(database_url=f"sqlite+aiosqlite:///{scratch}/sample.db"))
        try:
            await create_schema(engine)
            return await _run(make_session_factory(engine), folder, final=final)
        finally:
            await engine.dispose()


async def _run(sessions, folder: Path, *, final: bool = False) -> list[Path]:
    clock = _Clock(START)
    bus = CommandBus(sessions, MemoryBroadcaster(), clock=clock)
    async with sessions() as session:
        created = await create_workshop(
            session,
            CreateWorkshop(title=TITLE, locality=LOCALITY, tables=TABLE_NAMES, baseline_scores=BASELINE,
                           durations_minutes={"review": 15}),
            now=clock(),
        )
    workshop_id, code = created.workshop.id, created.workshop.join_code
    f = Actor(workshop_id, "facilitator")

    async def run(actor: Actor, event: str, payload: dict | None = None) -> dict:
        ack = await bus.execute(event, actor, payload or {})
        if not ack["ok"]:
            raise RuntimeError(f"{event}: {ack['error']}")
        return ack

    async def snapshot() -> dict:
        async with sessions() as session:
            return await build_snapshot(session, f, clock())

    tables = {t["name"]: t["id"] for t in (await snapshot())["tables"]}
    for pid, score in AGREED.items():
        await run(f, "scores.agree", {"principle_id": pid, "score": score})
    await run(f, "agenda.start")  # the opening review of the top-line priorities
    clock.now += 12 * 60
    await run(f, "notes.set_review", {"text": REVIEW_NOTES})
    clock.now = START + 14 * 60
    await run(f, "agenda.next", {"start": True})  # Exercise 1
    phones = {}
    for name, table_id in tables.items():
        for _ in range(5):  # five phones a table
            async with sessions() as session:
                joined = await join_table(session, code, {"table_id": table_id})
            phones[name] = Actor(workshop_id, "participant", joined.participant_id, joined.table_id)
    for name, (sectors, people) in MAKEUP.items():  # each table says it on one of its phones
        for sector in sectors:
            await run(phones[name], "makeup.set_sector", {"sector_id": sector, "present": True})
        await run(phones[name], "makeup.set_people", {"people": people})
    for name, five in FIVES.items():
        clock.now += 240
        await run(phones[name], "ranking.edit", {"base_revision": 0, "op": "replace", "items": five})
        await run(phones[name], "ranking.agree", {"base_revision": 1})
        for pid, why in REASONS.get(name, {}).items():
            state = w.b64decode((await snapshot())["reasons"][tables[name]]["state"], limit=1 << 30)
            ids = [p["id"] for p in (await snapshot())["principles"]]
            await run(phones[name], "reasons.update", {"update": w.b64encode(reason_rules.text_update(state, pid, why, ids))})
    clock.now = START + 42 * 60
    await run(f, "agenda.next")
    for name, table_id in tables.items():  # Exercise 2: each table shares its five
        clock.now += 2 * 60
        await run(f, "notes.set_table", {"table_id": table_id, "text": SHARE_NOTES[name]})
    clock.now += 3 * 60
    await run(f, "agenda.next")
    clock.now += 22 * 60
    await run(f, "consensus.confirm", {"items": ROOM, "note": ROOM_NOTE, "reason": ROOM_REASON})
    for sheet in list((await snapshot())["worksheets"].values()):
        table = next((n for n, t in tables.items() if t == sheet["table_id"]), None)
        texts = CONSOLIDATED.get(sheet["priority_id"], {}) if table is None else TABLE_NOTES.get((sheet["priority_id"], table), {})
        for cell, text in texts.items():
            current = next(s for s in (await snapshot())["worksheets"].values() if s["id"] == sheet["id"])
            await run(f, "worksheet.update", {"worksheet_id": sheet["id"], "update": _edit(current, cell, text)})
    for _ in ROOM:
        clock.now += 20 * 60
        await run(f, "agenda.next")
    for action in ACTIONS:
        await run(f, "plan.add_action", action)
    await run(f, "plan.set_notes", {"engagement_notes": "The partnership board in January; the schools' newsletter; "
                                                        "the youth council's next meeting."})
    await run(f, "plan.set_redesign_date", {"redesign_date": "2027-05-12"})
    clock.now += 15 * 60
    if final:
        await run(f, "report.finalise")

    async with sessions() as session:
        workshop = await session.get(Workshop, workshop_id)
        rows = await load_report_rows(session, workshop, clock())
    return write(rows, folder)


def write(rows, folder: Path) -> list[Path]:
    import importlib

    folder.mkdir(parents=True, exist_ok=True)
    data = assemble(rows)
    written = []
    for fmt, (_media, name) in FORMATS.items():
        path = folder / name
        if fmt == "json":
            path.write_text(json.dumps(export(rows), ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            renderer = importlib.import_module(f".reports.{'csv' if fmt == 'zip' else fmt}", __package__)
            path.write_bytes(renderer.render(data))
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", default="var/sample-report")
    parser.add_argument("--final", action="store_true", help="mark the report final (by default it stays a draft)")
    args = parser.parse_args()
    for path in asyncio.run(build(Path(args.folder), final=args.final)):
        print(path)


if __name__ == "__main__":
    main()

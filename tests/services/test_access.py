"""Links, tokens and removal against a real database (SQLite and PostgreSQL): the co-facilitator link, removing a
participant, rotating links, the facilitator's password, deleting a workshop with all its data, and command ids
that answer only their own sender."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func
from sqlmodel import select

from server.broadcast import CLOSE_CONNECTIONS, MemoryBroadcaster, rooms
from server.models import CommandRecord, Credential, Participant, Presence, Workshop, WorkshopTable, metadata
from server.services import tokens
from server.services.commands import CommandBus
from server.services.errors import CommandError
from server.services.guesses import Guesses
from server.services.workshops import CreateWorkshop, authenticate, create_workshop, join_table
from server.settings import Settings
from tests.services.conftest import Clock

pytestmark = pytest.mark.asyncio

A = "needs-led"


class Site:
    """Two workshops in one database, with real tokens, driven through the bus."""

    def __init__(self, sessions):
        self.sessions = sessions
        self.clock = Clock()
        self.broadcaster = MemoryBroadcaster()
        self.bus = CommandBus(sessions, self.broadcaster, clock=self.clock)
        self.guesses = Guesses.from_settings(Settings())

    async def workshop(self, tables: int = 2) -> dict:
        async with self.sessions() as session:
            created = await create_workshop(
                session, CreateWorkshop(title="T", table_count=tables), now=self.clock()
            )
        w = created.workshop
        info = {
            "id": w.id,
            "code": w.join_code,
            "facilitator": created.facilitator_token,
            "projector": created.projector_token,
        }
        async with self.sessions() as session:
            rows = await session.exec(
                select(WorkshopTable.id)
                .where(WorkshopTable.workshop_id == w.id)
                .order_by(WorkshopTable.position)
            )
            info["tables"] = list(rows)
        return info

    async def join(self, ws: dict, table: int = 0, name: str = "") -> str:
        async with self.sessions() as session:
            joined = await join_table(
                session, ws["code"], {"table_id": ws["tables"][table], "display_name": name}
            )
        return joined.participant_token

    async def actor(self, token: str, password: str | None = None, connection: str | None = None):
        async with self.sessions() as session:
            actor = await authenticate(session, token, password, guesses=self.guesses, address="192.0.2.1")
        return dataclasses.replace(actor, connection=connection)

    async def refused(self, token: str, password: str | None = None) -> str:
        with pytest.raises(CommandError) as caught:
            await self.actor(token, password)
        return caught.value.code

    async def run(self, actor, event: str, payload: dict | None = None) -> dict:
        return await self.bus.execute(event, actor, payload or {})

    async def present(self, sid: str, actor) -> None:
        """A live connection's presence row, as the socket handlers write it."""
        async with self.sessions() as session:
            session.add(
                Presence(
                    sid=sid,
                    workshop_id=actor.workshop_id,
                    role=actor.role,
                    table_id=actor.table_id,
                    worker_id="w",
                    seen_at=0.0,
                    credential_hash=actor.credential_hash,
                )
            )
            await session.commit()

    def closed(self) -> list[dict]:
        return [e.data for e in self.broadcaster.take() if e.name == CLOSE_CONNECTIONS]

    async def count(self, model, **where) -> int:
        async with self.sessions() as session:
            query = select(func.count()).select_from(model)
            for column, value in where.items():
                query = query.where(getattr(model, column) == value)
            return (await session.exec(query)).one()


@pytest.fixture
def site(sessions):
    return Site(sessions)


async def test_a_cofacilitator_runs_the_workshop_but_cannot_manage_it(site):
    ws = await site.workshop()
    owner = await site.actor(ws["facilitator"])
    issued = await site.run(owner, "cofacilitator.issue")
    assert issued["ok"] and issued["path"] == f"/console#k={issued['token']}"
    co = await site.actor(issued["token"], connection="co-sid")
    assert (co.role, co.link, co.principal) == ("facilitator", "cofacilitator", "cofacilitator")
    assert (await site.run(co, "agenda.start"))["ok"]
    assert (await site.run(co, "links.rotate", {"link": "projector"}))["ok"]
    assert (await site.run(co, "participants.list"))["ok"]
    for event, payload in [
        ("links.rotate", {"link": "facilitator"}),
        ("cofacilitator.issue", {}),
        ("cofacilitator.revoke", {}),
        ("facilitator.set_password", {"password": "correct horse"}),
        ("workshop.delete", {"join_code": ws["code"]}),
    ]:
        ack = await site.run(co, event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", event
    assert await site.count(Workshop, id=ws["id"]) == 1
    # Issuing again replaces the link; revoking ends it.
    await site.present("co-sid", co)
    site.broadcaster.take()
    again = await site.run(owner, "cofacilitator.issue")
    assert await site.refused(issued["token"]) == "unauthenticated"
    assert site.closed() == [
        {
            "notice": {"code": "link_revoked", "message": site_notice("link_revoked")},
            "sids": ["co-sid"],
            "keep": [],
        }
    ]
    ack = await site.run(co, "agenda.pause")  # the old link's live connection is refused from now on
    assert ack["error"]["code"] == "unauthenticated"
    assert (await site.run(owner, "cofacilitator.revoke"))["revoked"] == 1
    assert await site.refused(again["token"]) == "unauthenticated"


def site_notice(code: str) -> str:
    from server.services.access import NOTICES

    return NOTICES[code]


async def test_removing_a_participant_stops_its_token_and_closes_its_connections(site):
    ws = await site.workshop()
    token = await site.join(ws, 1, "Sam")
    phone = await site.actor(token, connection="phone-sid")
    await site.present("phone-sid", phone)
    other = await site.actor(await site.join(ws, 1), connection="other-sid")
    await site.present("other-sid", other)
    owner = await site.actor(ws["facilitator"])
    listed = (await site.run(owner, "participants.list"))["participants"]
    assert [(p["display_name"], p["connections"]) for p in listed] == [("Sam", 1), ("", 1)]
    site.broadcaster.take()
    ack = await site.run(owner, "participants.remove", {"participant_id": phone.participant_id})
    assert ack == {"ok": True, "removed": phone.participant_id}
    [closed] = site.closed()
    assert closed["sids"] == ["phone-sid"] and closed["notice"]["code"] == "participant_removed"
    assert await site.refused(token) == "unauthenticated"
    assert (await site.run(phone, "ranking.edit", {"base_revision": 0, "op": "add", "principle_id": A}))[
        "error"
    ]["code"] == "unauthenticated"
    assert await site.count(Participant, id=phone.participant_id) == 0  # the display name is gone too
    assert (await site.run(other, "ranking.edit", {"base_revision": 0, "op": "add", "principle_id": A}))["ok"]
    again = await site.run(owner, "participants.remove", {"participant_id": phone.participant_id})
    assert again["error"]["code"] == "not_found"


async def test_a_facilitator_cannot_reach_into_another_workshop(site):
    mine, theirs = await site.workshop(), await site.workshop()
    owner = await site.actor(mine["facilitator"])
    victim = await site.actor(await site.join(theirs, 0))
    for event, payload in [
        ("participants.remove", {"participant_id": victim.participant_id}),
        (
            "ranking.edit",
            {"table_id": theirs["tables"][0], "base_revision": 0, "op": "add", "principle_id": A},
        ),
        ("display.set", {"mode": "table", "table_id": theirs["tables"][1]}),
    ]:
        ack = await site.run(owner, event, payload)
        assert ack["error"]["code"] == "not_found", event
    assert (await site.run(owner, "workshop.delete", {"join_code": theirs["code"]}))["error"]["code"] == (
        "invalid_payload"
    )
    assert await site.count(Participant, id=victim.participant_id) == 1
    assert await site.count(Workshop) == 2


async def test_rotating_links(site):
    ws = await site.workshop()
    owner = await site.actor(ws["facilitator"], connection="console-sid")
    await site.present("console-sid", owner)
    projector = await site.actor(ws["projector"], connection="projector-sid")
    await site.present("projector-sid", projector)
    site.broadcaster.take()

    ack = await site.run(owner, "links.rotate", {"link": "projector", "command_id": "rotate-projector-1"})
    assert ack["ok"] and ack["path"] == f"/projector#k={ack['token']}" and "_rebind" not in ack
    assert await site.refused(ws["projector"]) == "unauthenticated"
    assert (await site.actor(ack["token"])).role == "projector"
    assert site.closed() == [
        {
            "notice": {"code": "link_rotated", "message": site_notice("link_rotated")},
            "sids": ["projector-sid"],
            "keep": [],
        }
    ]
    # A resend is answered without the token: only hashes are ever stored.
    replay = await site.run(owner, "links.rotate", {"link": "projector", "command_id": "rotate-projector-1"})
    assert replay == {"ok": True, "link": "projector", "redacted": True}

    # The facilitator's own link: the console that asked stays connected, on the new token.
    mine = await site.run(owner, "links.rotate", {"link": "facilitator"})
    assert mine["ok"] and mine["_rebind"] == tokens.hash_token(mine["token"])
    assert site.closed() == [
        {
            "notice": {"code": "link_rotated", "message": site_notice("link_rotated")},
            "sids": [],
            "keep": ["console-sid"],
        }
    ]
    assert await site.refused(ws["facilitator"]) == "unauthenticated"
    async with site.sessions() as session:
        row = await session.get(Presence, "console-sid")
        assert row.credential_hash == mine["_rebind"]
    assert (await site.run(owner, "agenda.start"))["error"]["code"] == "unauthenticated"  # the old actor
    rebound = dataclasses.replace(owner, credential_hash=mine["_rebind"])
    assert (await site.run(rebound, "agenda.start"))["ok"]

    # The join code: new people need the new one; phones already in keep working.
    phone_token = await site.join(ws, 0)
    site.broadcaster.take()
    join = await site.run(rebound, "links.rotate", {"link": "join"})
    assert join["ok"] and join["join_code"] != ws["code"] and join["join_path"] == f"/j/{join['join_code']}"
    [event] = site.broadcaster.take()
    assert event.data["workshop"]["join_code"] == join["join_code"]
    with pytest.raises(CommandError):
        await site.join(ws, 0)
    assert (await site.actor(phone_token)).role == "participant"


async def test_the_facilitator_password(site):
    ws = await site.workshop()
    owner = await site.actor(ws["facilitator"])
    too_short = await site.run(owner, "facilitator.set_password", {"password": "short"})
    assert too_short["error"]["code"] == "invalid_payload"
    assert (await site.run(owner, "facilitator.set_password", {"password": "  correct horse  "}))["ok"]
    assert await site.refused(ws["facilitator"]) == "password_required"
    assert await site.refused(ws["facilitator"], "wrong horse") == "wrong_password"
    assert await site.refused(ws["facilitator"], "correct horse") == "wrong_password"  # spaces count
    assert (await site.actor(ws["facilitator"], "  correct horse  ")).role == "facilitator"
    assert (await site.actor(ws["projector"])).role == "projector"  # only the facilitator link needs it
    async with site.sessions() as session:
        stored = (await session.get(Workshop, ws["id"])).facilitator_password
    assert stored.startswith("scrypt$") and "horse" not in stored
    assert (await site.run(owner, "facilitator.set_password", {"password": None}))["ok"]
    assert (await site.actor(ws["facilitator"])).role == "facilitator"


async def test_deleting_a_workshop_deletes_every_row_it_owns(site):
    doomed, kept = await site.workshop(), await site.workshop()
    owner = await site.actor(doomed["facilitator"], connection="console-sid")
    for ws in (doomed, kept):
        fac = await site.actor(ws["facilitator"])
        phone = await site.actor(await site.join(ws, 0, "Sam"), connection=f"phone-{ws['id']}")
        await site.present(f"phone-{ws['id']}", phone)
        await site.run(
            phone,
            "ranking.edit",
            {"base_revision": 0, "op": "add", "principle_id": A, "command_id": "edit-0001"},
        )
        await site.run(fac, "agenda.start", {"command_id": "start-0001"})
        await site.run(fac, "cofacilitator.issue")
        # The second half's rows: worksheets (made when the consensus is confirmed) and the action plan.
        five = [A, "accessibility", "common-language", "partnership-working", "outcome-informed"]
        await site.run(phone, "ranking.edit", {"base_revision": 1, "op": "replace", "items": five})
        await site.run(phone, "ranking.agree", {"base_revision": 2})
        assert (await site.run(fac, "consensus.confirm", {"items": five}))["ok"]
        assert (await site.run(fac, "plan.add_action", {"action": "Tell the board"}))["ok"]
    await site.present("console-sid", owner)
    before = await _rows_by_table(site, kept["id"])
    core = [
        "workshop",
        "credential",
        "workshop_table",
        "principle",
        "participant",
        "ranking",
        "segment",
        "command_record",
        "presence",
        "worksheet",
        "plan_action",
    ]
    assert all(before[name] for name in core), before  # the other workshop has rows in all of them too
    doomed_rows = await _rows_by_table(site, doomed["id"])
    assert all(doomed_rows[name] for name in core), doomed_rows

    refused = await site.run(owner, "workshop.delete", {"join_code": "WRONG1"})
    assert refused["error"]["code"] == "invalid_payload"
    doomed_rows = await _rows_by_table(site, doomed["id"])
    assert all(doomed_rows[name] for name in core), doomed_rows
    site.broadcaster.take()

    ack = await site.run(
        owner, "workshop.delete", {"join_code": doomed["code"].lower(), "command_id": "del-00001"}
    )
    assert ack == {"ok": True, "deleted": doomed["id"]}
    assert await _rows_by_table(site, doomed["id"]) == dict.fromkeys(before, 0)
    assert await _rows_by_table(site, kept["id"]) == before
    [closed] = site.closed()
    assert closed["sids"] == [f"phone-{doomed['id']}"] and closed["keep"] == ["console-sid"]
    assert closed["notice"]["code"] == "workshop_deleted"
    for token in (doomed["facilitator"], doomed["projector"]):
        assert await site.refused(token) == "unauthenticated"
    again = await site.run(owner, "workshop.delete", {"join_code": doomed["code"], "command_id": "del-00001"})
    assert again["ok"] is False and again["error"]["code"] in {"unauthenticated", "not_found"}


async def _rows_by_table(site, workshop_id: str) -> dict[str, int]:
    """Rows per table that belong to the workshop (every table with a workshop_id column, and the workshop)."""
    counts = {}
    async with site.sessions() as session:
        for table in metadata.sorted_tables:
            column = "id" if table.name == "workshop" else "workshop_id"
            if column not in table.c:
                continue
            query = select(func.count()).select_from(table).where(table.c[column] == workshop_id)
            counts[table.name] = (await session.exec(query)).one()
    return counts


async def test_a_command_id_answers_only_its_own_sender(site):
    ws = await site.workshop()
    alice = await site.actor(await site.join(ws, 0))
    bob = await site.actor(await site.join(ws, 1))
    payload = {"command_id": "shared-id-1", "base_revision": 0, "op": "add", "principle_id": A}
    first = await site.run(alice, "ranking.edit", payload)
    assert first["ok"] and first["ranking"]["table_id"] == ws["tables"][0]
    stolen = await site.run(bob, "ranking.edit", payload)
    assert stolen["ok"] is False and stolen["error"]["code"] == "invalid_payload"
    assert "ranking" not in stolen["error"]  # nothing of Alice's table leaks to Bob
    other_event = await site.run(alice, "ranking.reopen", {"command_id": "shared-id-1", "base_revision": 1})
    assert other_event["error"]["code"] == "invalid_payload"
    assert await site.run(alice, "ranking.edit", payload) == first


async def test_no_token_is_stored_anywhere(site):
    ws = await site.workshop()
    owner = await site.actor(ws["facilitator"], connection="c")
    secrets = [ws["facilitator"], ws["projector"], await site.join(ws, 0)]
    for event, payload in [
        ("links.rotate", {"link": "projector"}),
        ("cofacilitator.issue", {}),
        ("links.rotate", {"link": "facilitator"}),
    ]:
        ack = await site.run(owner, event, {**payload, "command_id": f"cmd-{len(secrets):06d}"})
        assert ack["ok"], ack
        secrets.append(ack["token"])
        if "_rebind" in ack:
            owner = dataclasses.replace(owner, credential_hash=ack["_rebind"])
    dump = await _database_text(site)
    for secret in secrets:
        assert secret not in dump
    # The live links are there as hashes only.
    for live in (secrets[2], secrets[4], secrets[5]):
        assert tokens.hash_token(live) in dump
    assert await site.count(CommandRecord) == 3


async def _database_text(site) -> str:
    parts = []
    async with site.sessions() as session:
        for table in metadata.sorted_tables:
            connection = await session.connection()
            for row in (await connection.execute(table.select())).all():
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


async def test_credentials_are_hashed_and_roles_are_as_issued(site):
    ws = await site.workshop()
    async with site.sessions() as session:
        rows = (
            await session.exec(
                select(Credential.token_hash, Credential.role).where(Credential.workshop_id == ws["id"])
            )
        ).all()
    assert sorted(role for _, role in rows) == ["facilitator", "projector"]
    assert {h for h, _ in rows} == {tokens.hash_token(ws["facilitator"]), tokens.hash_token(ws["projector"])}
    assert rooms.everyone(ws["id"]) == f"w:{ws['id']}"

"""Revoking access on a live server: the connections are told why (``revoked``), disconnected, and cannot come
back with the old token; the console that asked keeps going. Events named like socket.io's own are refused."""

from __future__ import annotations

import httpx
import pytest
import socketio

from server.client import WorkshopClient
from tests.live import LONGEST_WAIT, eventually
from tests.realtime.conftest import open_room

pytestmark = pytest.mark.asyncio
A = "needs-led"


async def refused_code(url: str, token: str, **kwargs) -> str:
    client = WorkshopClient(url, token, reconnection=False, **kwargs)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(timeout=LONGEST_WAIT)
    return client.connect_error["data"]["code"]


async def test_a_removed_phone_is_told_disconnected_and_cannot_come_back(shared_server):
    room = await open_room(shared_server, table_count=2)
    try:
        phone = await room.phone(0, "Sam")
        neighbour = await room.phone(0)
        facilitator = await room.facilitator()
        listed = (await facilitator.call("participants.list"))["participants"]
        sam = next(p for p in listed if p["display_name"] == "Sam")
        assert sam["connections"] == 1 and sam["table_id"] == room.table_ids[0]
        ack = await facilitator.call("participants.remove", {"participant_id": sam["id"]})
        assert ack == {"ok": True, "removed": sam["id"]}
        await eventually(lambda: not phone.sio.connected)
        assert phone.revoked["code"] == "participant_removed" and phone.revoked["message"]
        assert await refused_code(shared_server.url, phone.token) == "unauthenticated"
        # Nobody else was touched.
        assert neighbour.sio.connected and facilitator.sio.connected
        edit = await neighbour.call("ranking.edit", {"base_revision": 0, "op": "add", "principle_id": A})
        assert edit["ok"]
        await eventually(lambda: facilitator.state["presence"]["tables"].get(room.table_ids[0]) == 1)
    finally:
        await room.close()


async def test_rotating_links_closes_the_old_links_connections(shared_server):
    room = await open_room(shared_server, table_count=1)
    try:
        console = await room.facilitator()
        second_console = await room.facilitator()  # the same link open on another laptop
        projector = await room.projector()
        rotated = await console.call("links.rotate", {"link": "projector"})
        assert rotated["ok"] and "_rebind" not in rotated
        await eventually(lambda: not projector.sio.connected)
        assert projector.revoked["code"] == "link_rotated"
        assert await refused_code(shared_server.url, room.created["projector_token"]) == "unauthenticated"
        assert (await room.connect(rotated["token"])).state["role"] == "projector"

        mine = await console.call("links.rotate", {"link": "facilitator"})
        assert mine["ok"] and set(mine) == {"ok", "link", "token", "path"}
        await eventually(lambda: not second_console.sio.connected)
        assert second_console.revoked["code"] == "link_rotated"
        # The console that asked is still connected, and now speaks with the new token.
        assert console.sio.connected
        assert (await console.call("agenda.start"))["ok"]
        assert await refused_code(shared_server.url, room.created["facilitator_token"]) == "unauthenticated"
        again = await room.connect(mine["token"])
        assert again.state["link"] == "facilitator"
    finally:
        await room.close()


async def test_a_cofacilitator_link_can_be_issued_and_withdrawn(shared_server):
    room = await open_room(shared_server, table_count=1)
    try:
        console = await room.facilitator()
        issued = await console.call("cofacilitator.issue")
        co = await room.connect(issued["token"])
        assert (co.state["role"], co.state["link"]) == ("facilitator", "cofacilitator")
        assert co.state["consensus"]["comparison"] is not None  # it sees what the facilitator sees
        assert (await co.call("display.set", {"mode": "rankings"}))["ok"]
        refused = await co.call("workshop.delete", {"join_code": room.code})
        assert refused["error"]["code"] == "forbidden"
        assert (await console.call("cofacilitator.revoke"))["revoked"] == 1
        await eventually(lambda: not co.sio.connected)
        assert co.revoked["code"] == "link_revoked"
    finally:
        await room.close()


async def test_deleting_a_workshop_tells_and_disconnects_everyone(shared_server):
    room = await open_room(shared_server, table_count=2)
    try:
        console = await room.facilitator()
        others = [await room.projector(), await room.phone(0), await room.phone(1), await room.facilitator()]
        ack = await console.call("workshop.delete", {"join_code": room.code})
        assert ack["ok"] and ack["deleted"] == room.created["workshop"]["id"]
        for client in others:
            await eventually(lambda c=client: not c.sio.connected)
            assert client.revoked["code"] == "workshop_deleted"
        assert (await console.call("agenda.start"))["error"]["code"] in {"unauthenticated", "not_found"}
        async with httpx.AsyncClient(base_url=shared_server.url) as http:
            assert (await http.get(f"/api/join/{room.code}")).status_code == 404
        assert await refused_code(shared_server.url, room.created["projector_token"]) == "unauthenticated"
    finally:
        await room.close()


async def test_a_workshop_password_guards_the_console_link(shared_server):
    room = await open_room(shared_server, table_count=1)
    try:
        console = await room.facilitator()
        assert (await console.call("facilitator.set_password", {"password": "correct horse"}))["ok"]
        token = room.created["facilitator_token"]
        assert await refused_code(shared_server.url, token) == "password_required"
        assert await refused_code(shared_server.url, token, password="wrong horse") == "wrong_password"
        ok = await room.connect(token, password="correct horse")
        assert ok.state["role"] == "facilitator"
        assert (await room.projector()).state["role"] == "projector"
    finally:
        await room.close()


async def test_events_named_like_socketio_internals_are_refused_and_change_nothing(shared_server):
    room = await open_room(shared_server, table_count=1)
    try:
        facilitator = await room.facilitator()
        phone = await room.phone(0)
        await eventually(lambda: facilitator.state["presence"]["tables"].get(room.table_ids[0]) == 1)
        # A phone that sends "disconnect" must not vanish from the presence count (and dodge the table cap),
        # and one that sends "connect" with the facilitator's token must not become the facilitator.
        ack = await phone.sio.call("disconnect", "io client disconnect", timeout=LONGEST_WAIT)
        assert ack["error"]["code"] == "unknown_event"
        for data in ({"token": facilitator.token}, ({}, {"token": facilitator.token}), None):
            ack = await phone.sio.call("connect", data, timeout=LONGEST_WAIT)
            assert ack["error"]["code"] == "unknown_event"
        assert (await phone.call("agenda.start"))["error"]["code"] == "forbidden"
        synced = await facilitator.sync()
        assert synced["presence"]["tables"].get(room.table_ids[0]) == 1
        # Extra arguments and odd payloads are answered, not crashed on.
        assert (await phone.sio.call("clock", ({}, 1, "two"), timeout=LONGEST_WAIT))["ok"] is True
        ack = await phone.sio.call("ranking.edit", ({"base_revision": 0}, [1], None), timeout=LONGEST_WAIT)
        assert ack["error"]["code"] == "invalid_payload"
        assert (await phone.sio.call("no.such.event", (1, 2, 3), timeout=LONGEST_WAIT))["error"][
            "code"
        ] == "unknown_event"
    finally:
        await room.close()


async def test_secrets_are_never_logged(tmp_path):
    """A whole session of joins, errors, rotations, passwords and a deletion, with the server logging at debug
    level (access log included): no token and no password is in its log."""
    from tests.live import LiveServer
    from tests.realtime.conftest import migrate

    url = f"sqlite+aiosqlite:///{tmp_path}/thrive.db"
    migrate(url)
    server = LiveServer(url, log_level="debug").start(tmp_path)
    secrets: list[str] = ["correct horse battery", "wrong horse battery"]
    try:
        room = await open_room(server, table_count=2)
        secrets += [room.created["facilitator_token"], room.created["projector_token"]]
        try:
            console = await room.facilitator()
            phone = await room.phone(0, "Sam")
            secrets.append(phone.token)
            await phone.call("ranking.edit", {"base_revision": 0, "op": "bogus", "token": phone.token})
            await phone.call("agenda.start", {"password": secrets[0]})
            await console.call("no.such.event", {"token": console.token})
            for link in ("projector", "facilitator"):
                secrets.append((await console.call("links.rotate", {"link": link}))["token"])
            secrets.append((await console.call("cofacilitator.issue"))["token"])
            assert (await console.call("facilitator.set_password", {"password": secrets[0]}))["ok"]
            assert await refused_code(server.url, secrets[-2], password=secrets[1]) == "wrong_password"
            assert await refused_code(server.url, room.created["projector_token"]) == "unauthenticated"
            links = (await console.call("report.links"))["links"]
            async with httpx.AsyncClient(base_url=server.url) as http:
                await http.get(f"/api/join/{room.code}", headers={"authorization": f"Bearer {secrets[2]}"})
                assert (await http.get(links["json"])).status_code == 200  # a signed link is a bearer secret too
            secrets.append(links["json"].split("sig=")[1])
            assert (await console.call("workshop.delete", {"join_code": room.code}))["ok"]
        finally:
            await room.close()
    finally:
        server.stop()
    log = server.log()
    assert "GET /api/join/" in log and "report.json?exp=" in log  # the log is on, at debug level
    leaked = [secret for secret in secrets if secret in log]
    assert leaked == []

"""A token withdrawn while its connection is being made, or while nobody could find the connection, stops working.

Withdrawing a token (removing a phone, a new link) disconnects the connections made with it, found through their
presence rows. Two checks in ``server/realtime/handlers.py`` cover the connections that search misses:

- ``_welcome_now`` checks the token again once the presence row is written, before sending the snapshot: a
  withdrawal committed between the connect's authentication and that row did not see the connection;
- ``sync`` checks the token on every call: a connection whose presence row was swept (its worker seemed dead) is
  not found until its heartbeat writes the row back.

The app runs in this test's event loop (uvicorn, real socket.io clients), so the test can put the withdrawal exactly
in those windows by wrapping the presence tracker's ``connected``.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
import uvicorn
from sqlalchemy import delete

from server.app import create_app
from server.cli import SERVER_OPTIONS
from server.client import WorkshopClient, create_workshop, join, tables
from server.db import create_schema
from server.models import Presence
from server.settings import Settings
from tests.live import eventually, free_port

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def served(tmp_path):
    """The app served by uvicorn in this event loop: its address and its services."""
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/thrive.db", heartbeat_interval=3600))
    await create_schema(app.services.engine)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **SERVER_OPTIONS)
    )
    serving = asyncio.ensure_future(server.serve())
    await eventually(lambda: server.started or serving.done(), timeout=30)
    assert server.started, serving.exception() if serving.done() else "not started"
    try:
        yield f"http://127.0.0.1:{port}", app.services
    finally:
        server.should_exit = True
        await serving


async def phone_of(url: str) -> tuple[dict, dict, WorkshopClient]:
    """A workshop, its facilitator connected, and a phone's join (not yet connected)."""
    created = await create_workshop(url, table_count=1)
    table = (await tables(url, created["workshop"]["join_code"]))[0]
    joined = await join(url, created["workshop"]["join_code"], table["id"])
    facilitator = await WorkshopClient(url, created["facilitator_token"], reconnection=False).connect()
    return created, joined, facilitator


async def remove(facilitator: WorkshopClient, joined: dict) -> None:
    ack = await facilitator.call("participants.remove", {"participant_id": joined["participant_id"]})
    assert ack["ok"], ack


async def test_a_phone_removed_while_it_connects_is_told_and_gets_no_snapshot(served, monkeypatch):
    url, services = served
    _created, joined, facilitator = await phone_of(url)
    real_connected = services.presence.connected

    async def removed_meanwhile(sid, actor, now, caps=None):
        if actor.role == "participant":
            # Authenticated already, presence row not yet written: the removal cannot find this connection.
            await remove(facilitator, joined)
        return await real_connected(sid, actor, now, caps=caps)

    monkeypatch.setattr(services.presence, "connected", removed_meanwhile)
    phone = WorkshopClient(url, joined["participant_token"], reconnection=False)
    try:
        await phone.connect(wait_snapshot=False)
        await eventually(lambda: phone.revoked is not None and not phone.sio.connected)
        assert phone.revoked["code"] == "unauthenticated"
        assert phone.snapshots == 0 and phone.state is None  # nothing of the workshop reached it
    finally:
        await phone.close()
        await facilitator.close()


async def test_sync_refuses_a_token_withdrawn_from_a_connection_nobody_could_find(served):
    url, services = served
    _created, joined, facilitator = await phone_of(url)
    phone = await WorkshopClient(url, joined["participant_token"], reconnection=False).connect()
    try:
        assert (await phone.call("sync"))["ok"]
        # Its presence row goes, as another worker's sweep takes the rows of a worker that seemed dead (this
        # worker's heartbeat, which would write it back, is an hour away here).
        async with services.sessions() as session:
            await session.exec(delete(Presence).where(Presence.role == "participant"))
            await session.commit()
        await remove(facilitator, joined)
        assert phone.sio.connected  # nobody found it to disconnect it
        refused = await phone.call("sync")
        assert not refused["ok"] and refused["error"]["code"] == "unauthenticated"
        assert "snapshot" not in refused
    finally:
        await phone.close()
        await facilitator.close()

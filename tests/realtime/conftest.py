from __future__ import annotations

import pytest

from server.client import WorkshopClient, create_workshop, join, tables
from tests.live import LiveServer, migrate


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory):
    """One server for the tests that only need a server: each makes its own workshop."""
    folder = tmp_path_factory.mktemp("shared-server")
    url = f"sqlite+aiosqlite:///{folder}/thrive.db"
    migrate(url)
    server = LiveServer(url).start(folder)
    yield server
    server.stop()


@pytest.fixture
def fresh_server(tmp_path):
    """A server of the test's own, which it may kill and restart on the same database."""
    url = f"sqlite+aiosqlite:///{tmp_path}/thrive.db"
    migrate(url)
    server = LiveServer(url).start(tmp_path)
    yield server
    server.stop()


class Room:
    """A workshop on a live server with helpers to connect the people in it."""

    def __init__(self, server: LiveServer, created: dict):
        self.server = server
        self.created = created
        self.code = created["workshop"]["join_code"]
        self.clients: list[WorkshopClient] = []

    async def connect(self, token: str, **kwargs) -> WorkshopClient:
        client = WorkshopClient(self.server.url, token, **kwargs)
        self.clients.append(client)
        return await client.connect()

    async def facilitator(self) -> WorkshopClient:
        return await self.connect(self.created["facilitator_token"])

    async def projector(self) -> WorkshopClient:
        return await self.connect(self.created["projector_token"])

    async def phone(self, table_index: int, name: str = "") -> WorkshopClient:
        table_id = self.table_ids[table_index]
        joined = await join(self.server.url, self.code, table_id, name)
        return await self.connect(joined["participant_token"])

    async def close(self) -> None:
        for client in self.clients:
            if client.sio.connected:
                await client.close()


async def open_room(server: LiveServer, **spec) -> Room:
    created = await create_workshop(server.url, **spec)
    room = Room(server, created)

    room.table_ids = [t["id"] for t in await tables(server.url, room.code)]
    return room

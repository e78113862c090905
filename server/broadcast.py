"""What services publish through, after a commit. The transport implements it at start-up.

Nothing below the transport imports socket.io: services see only ``Broadcaster``. ``MemoryBroadcaster``
records events for tests of services without a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Event:
    name: str
    data: dict[str, Any]
    rooms: tuple[str, ...]


# An event the transport acts on instead of sending: tell the connections ``data["sids"]`` (and the members of
# ``rooms``, except ``data["keep"]``) why, with a ``revoked`` event carrying ``data["notice"]``, then disconnect
# them. Published when a token is revoked or rotated, a participant removed, or a workshop deleted.
CLOSE_CONNECTIONS = "close_connections"


class Broadcaster(Protocol):
    async def publish(self, events: Sequence[Event]) -> None: ...


class MemoryBroadcaster:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def take(self) -> list[Event]:
        taken, self.events = self.events, []
        return taken


class rooms:
    """Room names. A client joins ``everyone`` plus its role's room (and a participant its table's)."""

    @staticmethod
    def everyone(workshop_id: str) -> str:
        return f"w:{workshop_id}"

    @staticmethod
    def role(workshop_id: str, role: str) -> str:
        return f"w:{workshop_id}:{role}"

    @staticmethod
    def table(workshop_id: str, table_id: str) -> str:
        return f"w:{workshop_id}:t:{table_id}"

    @classmethod
    def for_client(cls, workshop_id: str, role: str, table_id: str | None) -> list[str]:
        names = [cls.everyone(workshop_id), cls.role(workshop_id, role)]
        if table_id is not None:
            names.append(cls.table(workshop_id, table_id))
        return names

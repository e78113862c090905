"""Limits that keep one client (or one address) from swamping a workshop (docs/protocol.md, "Limits").

- Rates are token buckets kept in this process: per connection and per client address. Behind a load balancer
  each worker counts its own share. Guesses (wrong passwords, join codes) are limited in services.guesses,
  across workers when Redis is configured.
- Connection caps per workshop and per table count the ``presence`` rows, which every worker shares.
- Workshops created per address per hour are counted in the database (``creation_record``), so every worker
  sees the same count; the address is kept only as a keyed hash, and only for the hour.

Exceeding a limit is answered, never punished with a disconnect: an ack or ``connect_error`` with
``rate_limited`` / ``too_many_connections`` / ``too_large`` and, for rates, ``retry_after`` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import time
from collections.abc import Callable

from sqlalchemy import bindparam, case, delete, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import statements
from ..models import CreationRecord, Presence
from ..settings import Settings
from .commands import Actor
from .errors import CommandError

HOUR = 3600.0


def rate_limited(
    retry_after: float, message: str = "Too many requests. Wait a moment, then try again."
) -> CommandError:
    seconds = max(1, math.ceil(retry_after))
    return CommandError("rate_limited", message, status=429, extra={"retry_after": seconds})


def too_large(limit: int) -> CommandError:
    return CommandError("too_large", f"The message is too large (the limit is {limit} bytes).", status=413)


class RateLimiter:
    """Token buckets by key: ``rate`` tokens a second, at most ``burst``. A rate of 0 means no limit."""

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ):
        self.rate = float(rate)
        self.burst = float(max(1, burst))
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens: 0.0 when allowed, else the seconds until it would be."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        tokens, then = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= cost:
            self._buckets[key] = (tokens - cost, now)
            if len(self._buckets) > self.max_keys:
                self._forget_full(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (cost - tokens) / self.rate

    def give_back(self, key: str, cost: float = 1.0) -> None:
        """Return ``cost`` tokens taken for something that turned out fine (never above ``burst``)."""
        if key in self._buckets:
            tokens, then = self._buckets[key]
            self._buckets[key] = (min(self.burst, tokens + cost), then)

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold nothing a new bucket would not."""
        for key, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * self.rate >= self.burst:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


def message_size(data: object) -> int:
    """The size of a payload as JSON (what the client sent, give or take whitespace)."""
    try:
        return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str).encode())
    except (TypeError, ValueError, RecursionError):
        return 1 << 30


class SocketLimits:
    """The limits the socket.io handlers apply, one instance per process."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.per_connection = RateLimiter(
            settings.limits.events_per_second, settings.limits.events_burst, clock=clock
        )
        self.per_ip = RateLimiter(
            settings.limits.events_per_second_per_ip, settings.limits.events_burst_per_ip, clock=clock
        )
        self.connects = RateLimiter(
            settings.limits.connects_per_second_per_ip, settings.limits.connects_burst_per_ip, clock=clock
        )

    def check_event(self, sid: str, ip: str, data: object) -> CommandError | None:
        wait = self.per_connection.take(sid)
        if wait:
            return rate_limited(wait, "You are sending too fast. Wait a moment, then try again.")
        wait = self.per_ip.take(ip)
        if wait:
            return rate_limited(wait, "Too many messages from this network. Wait a moment, then try again.")
        limit = self.settings.limits.max_message_bytes
        if limit and message_size(data) > limit:
            return too_large(limit)
        return None

    def check_connect(self, ip: str) -> CommandError | None:
        wait = self.connects.take(ip)
        return rate_limited(wait, "Too many connections from this network just now.") if wait else None

    def forget(self, sid: str) -> None:
        self.per_connection.forget(sid)


async def check_connection_caps(
    session: statements.Executor, actor: Actor, settings: Settings
) -> CommandError | None:
    """Room for one more connection in this workshop (and, for a phone, at its table)? The facilitator's own
    link is never turned away, so a flooded workshop can still be run (and its links rotated). Both counts in
    one statement, on any executor (the presence write runs it in the writer's turn)."""
    if actor.principal == "facilitator":
        return None
    per_workshop = settings.limits.max_connections_per_workshop
    per_table = settings.limits.max_connections_per_table
    if not per_table or actor.role != "participant":
        per_table = 0
    if not per_workshop and not per_table:
        return None
    counts = await statements.first(
        session, _COUNT_CONNECTIONS, {"workshop_id": actor.workshop_id, "table_id": actor.table_id or ""}
    )
    if per_workshop and counts.workshop >= per_workshop:
        return too_many_connections("This workshop has as many connections as it can take.")
    if per_table and actor.table_id is not None and (counts.table or 0) >= per_table:
        return too_many_connections("This table has as many phones connected as it can take.")
    return None


_PRESENCE = Presence.__table__
_COUNT_CONNECTIONS = select(
    func.count().label("workshop"),
    func.sum(case((_PRESENCE.c.table_id == bindparam("table_id"), 1), else_=0)).label("table"),
).where(_PRESENCE.c.workshop_id == bindparam("workshop_id"))


def too_many_connections(message: str) -> CommandError:
    return CommandError("too_many_connections", message, status=429, extra={"retry_after": 30})


# --- workshops created per address per hour ----------------------------------------------------------------


class CreationLimit:
    """At most ``limits.workshops_per_ip_per_hour`` workshops per client address per hour, across workers."""

    def __init__(self, settings: Settings):
        self.per_hour = settings.limits.workshops_per_ip_per_hour
        self.key = (settings.limits.secret_key or secrets.token_hex(32)).encode()

    def client_key(self, address: str) -> str:
        return hmac.new(self.key, f"create:{address}".encode(), hashlib.sha256).hexdigest()

    async def check(self, session: AsyncSession, address: str, now: float | None = None) -> None:
        """Raise ``rate_limited`` (with ``retry_after``) when this address has used its allowance."""
        if not self.per_hour:
            return
        now = time.time() if now is None else now
        await session.exec(delete(CreationRecord).where(CreationRecord.created_at <= now - HOUR))
        await session.commit()
        key = self.client_key(address)
        count, oldest = (
            await session.exec(
                select(func.count(), func.min(CreationRecord.created_at)).where(
                    CreationRecord.client_key == key, CreationRecord.created_at > now - HOUR
                )
            )
        ).one()
        if count >= self.per_hour:
            raise rate_limited(
                (oldest or now) + HOUR - now,
                f"This network has created {count} workshops in the last hour, the most allowed. "
                "Try again later.",
            )

    async def record(self, session: AsyncSession, address: str, now: float | None = None) -> None:
        if not self.per_hour:
            return
        session.add(
            CreationRecord(
                client_key=self.client_key(address), created_at=time.time() if now is None else now
            )
        )
        await session.commit()

"""Limits on guessing secrets: facilitator passwords and join codes.

Unlike the other rate limits (services.limits), these must hold across workers, or N workers let N times the
guesses through: with ``REDIS_URL`` the buckets live in Redis, otherwise in this process (the embedded default
is one process). The store is chosen by URL, as the broadcaster is.

Every path that accepts a password (socket connect, HTTP with ``X-Facilitator-Password``) goes through
``Guesses.password``: a try is taken per workshop and per address before scrypt runs, and given back when the
password is right, so a facilitator who reconnects all day is never locked out by their own successes.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from .limits import RateLimiter, rate_limited

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    name: str
    rate: float  # tries a second, once the burst is spent
    burst: int

    @property
    def enabled(self) -> bool:
        return self.rate > 0


class Buckets(Protocol):
    async def take(self, rule: Rule, key: str) -> float:
        """Take one try: 0.0 when allowed, else the seconds until one would be."""

    async def give_back(self, rule: Rule, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryBuckets:
    """Token buckets in this process (services.limits.RateLimiter)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._limiters: dict[Rule, RateLimiter] = {}

    def _limiter(self, rule: Rule) -> RateLimiter:
        limiter = self._limiters.get(rule)
        if limiter is None:
            limiter = self._limiters[rule] = RateLimiter(rule.rate, rule.burst, clock=self.clock)
        return limiter

    async def take(self, rule: Rule, key: str) -> float:
        return self._limiter(rule).take(key)

    async def give_back(self, rule: Rule, key: str) -> None:
        self._limiter(rule).give_back(key)

    async def close(self) -> None:
        return None


# One round trip, atomic: refill by the time passed (Redis's own clock, the same for every worker), then take
# ``cost`` (a negative cost gives tries back). Keys expire once they would be full again.
_TAKE = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= cost then
  tokens = math.min(burst, tokens - cost)
else
  wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisBuckets:
    """Token buckets in Redis, shared by every worker that uses the same Redis. While Redis cannot be reached,
    this worker's own buckets stand in: a Redis blip must not lock facilitators out, nor open the door."""

    def __init__(self, url: str, prefix: str = "thrive:guesses:"):
        import redis.asyncio as redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.errors = (redis.RedisError, OSError)
        self.prefix = prefix
        self.stand_in = MemoryBuckets()
        self._take = self.client.register_script(_TAKE)

    async def _run(self, rule: Rule, key: str, cost: int) -> float:
        wait = await self._take(keys=[f"{self.prefix}{rule.name}:{key}"], args=[rule.rate, rule.burst, cost])
        return float(wait)

    async def take(self, rule: Rule, key: str) -> float:
        try:
            return await self._run(rule, key, 1)
        except self.errors:
            log.warning("Redis unreachable: limiting %s in this worker only", rule.name)
            return await self.stand_in.take(rule, key)

    async def give_back(self, rule: Rule, key: str) -> None:
        try:
            await self._run(rule, key, -1)
        except self.errors:
            await self.stand_in.give_back(rule, key)

    async def close(self) -> None:
        await self.client.aclose()


def buckets_for(redis_url: str | None) -> Buckets:
    return RedisBuckets(redis_url) if redis_url else MemoryBuckets()


class Guesses:
    """The limits on guessing, over one store of buckets (one per process, built at start-up)."""

    def __init__(self, buckets: Buckets, *, join: Rule, password_per_address: Rule, password_per_workshop: Rule):
        self.buckets = buckets
        self.join = join
        self.password_rules = (password_per_address, password_per_workshop)

    @classmethod
    def from_settings(cls, settings) -> Guesses:
        limits = settings.limits
        return cls(
            buckets_for(settings.redis_url),
            join=Rule("join", limits.joins_per_second_per_ip, limits.joins_burst_per_ip),
            password_per_address=Rule(
                "password-address", limits.password_guesses_per_minute_per_ip / 60, limits.password_guesses_burst_per_ip
            ),
            password_per_workshop=Rule(
                "password-workshop",
                limits.password_guesses_per_minute_per_workshop / 60,
                limits.password_guesses_burst_per_workshop,
            ),
        )

    @contextlib.asynccontextmanager
    async def password(self, workshop_id: str, address: str) -> AsyncIterator[None]:
        """Around one password check: refuses with ``rate_limited`` when too many tries were made, and gives
        the tries back when the body completes (the password was right)."""
        taken = []
        for rule, key in zip(self.password_rules, (address, workshop_id), strict=True):
            if not rule.enabled:
                continue
            wait = await self.buckets.take(rule, key)
            if wait:
                for done_rule, done_key in taken:
                    await self.buckets.give_back(done_rule, done_key)
                raise rate_limited(wait, "Too many wrong passwords. Wait a moment, then try again.")
            taken.append((rule, key))
        yield
        for rule, key in taken:
            await self.buckets.give_back(rule, key)

    async def check_join(self, address: str) -> None:
        """Join-code look-ups and joins from one address: generous for a room behind one NAT address, but a
        join-code search or a flood of fake participants runs into it. Raises ``rate_limited``."""
        if not self.join.enabled:
            return
        wait = await self.buckets.take(self.join, address)
        if wait:
            raise rate_limited(wait, "Too many requests from this network. Wait a moment, then try again.")

    async def close(self) -> None:
        await self.buckets.close()

"""Limits on guessing (services.guesses), in this process and in real Redis: the Redis store is what several
workers share, so two stores on one Redis stand for two workers."""

from __future__ import annotations

import uuid

import pytest

from server.services.errors import CommandError
from server.services.guesses import Guesses, MemoryBuckets, RedisBuckets, Rule
from tests.conftest import REDIS_URL, require_redis

pytestmark = pytest.mark.asyncio

SLOW = 1 / 3600  # a refill too slow to matter while a test runs


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def guesses(buckets, per_address: int = 3, per_workshop: int = 5) -> Guesses:
    return Guesses(
        buckets,
        join=Rule("join", SLOW, 2),
        password_per_address=Rule("password-address", SLOW, per_address),
        password_per_workshop=Rule("password-workshop", SLOW, per_workshop),
    )


async def wrong(g: Guesses, workshop: str, address: str) -> str:
    """One wrong password: the check runs and fails, as access.check_password's would."""
    try:
        async with g.password(workshop, address):
            raise CommandError("wrong_password", "no")
    except CommandError as refused:
        return refused.code
    raise AssertionError("not refused")


async def right(g: Guesses, workshop: str, address: str) -> str:
    try:
        async with g.password(workshop, address):
            return "ok"
    except CommandError as refused:
        return refused.code


@pytest.fixture(params=["memory", "redis"])
async def stores(request):
    """A function making stores that share their counts (workers of one deployment)."""
    made = []
    if request.param == "memory":
        shared = MemoryBuckets()
        yield lambda: shared
        return
    require_redis()
    prefix = f"test:{uuid.uuid4().hex}:"

    def make():
        made.append(RedisBuckets(REDIS_URL, prefix=prefix))
        return made[-1]

    yield make
    for store in made:
        await store.close()


async def test_wrong_passwords_run_out_per_address_and_right_ones_cost_nothing(stores):
    g = guesses(stores())
    assert [await wrong(g, "w1", "a") for _ in range(4)] == ["wrong_password"] * 3 + ["rate_limited"]
    assert await right(g, "w1", "a") == "rate_limited"  # even the right one, once the address has run out
    assert [await right(g, "w1", "b") for _ in range(10)] == ["ok"] * 10
    assert await wrong(g, "w1", "b") == "wrong_password"


async def test_the_workshop_count_stops_guesses_spread_over_addresses(stores):
    g = guesses(stores())
    codes = [await wrong(g, "w2", address) for address in "abcdefg"]
    assert codes == ["wrong_password"] * 5 + ["rate_limited"] * 2
    assert await right(g, "another workshop", "z") == "ok"


async def test_a_refusal_by_the_workshop_count_gives_the_address_its_try_back(stores):
    g = guesses(stores(), per_address=2, per_workshop=1)
    assert await wrong(g, "w3", "a") == "wrong_password"
    assert await wrong(g, "w3", "b") == "rate_limited"
    # b's refused try on w3 was not counted: b still has both its tries
    assert [await wrong(g, w, "b") for w in ("w4", "w5", "w6")] == ["wrong_password"] * 2 + ["rate_limited"]


async def test_two_workers_share_the_counts(stores):
    first, second = guesses(stores()), guesses(stores())
    codes = [await wrong(g, "w6", "a") for g in (first, second, first, second)]
    assert codes == ["wrong_password"] * 3 + ["rate_limited"]
    await first.check_join("a")
    await second.check_join("a")
    with pytest.raises(CommandError) as refused:
        await first.check_join("a")
    assert refused.value.code == "rate_limited" and refused.value.extra["retry_after"] >= 1


async def test_redis_out_of_reach_limits_in_this_worker():
    unreachable = RedisBuckets("redis://127.0.0.1:9/0")
    try:
        g = guesses(unreachable)
        assert [await wrong(g, "w7", "a") for _ in range(4)] == ["wrong_password"] * 3 + ["rate_limited"]
    finally:
        await unreachable.close()


async def test_buckets_refill_with_time():
    clock = Clock()
    g = Guesses(
        MemoryBuckets(clock),
        join=Rule("join", 0, 1),  # 0: no join limit
        password_per_address=Rule("password-address", 1 / 6, 1),
        password_per_workshop=Rule("password-workshop", 0, 1),
    )
    assert await wrong(g, "w", "a") == "wrong_password"
    assert await wrong(g, "w", "a") == "rate_limited"
    clock.now += 6
    assert await wrong(g, "w", "a") == "wrong_password"
    for _ in range(100):
        await g.check_join("a")

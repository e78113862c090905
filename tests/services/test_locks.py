"""How the command bus queues writers in one process, and what counts as a database outage."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from server.services.commands import _WorkshopLocks, is_database_outage


def test_each_workshop_has_its_own_lock_on_postgresql():
    locks = _WorkshopLocks()
    a = locks.get("a")
    assert locks.get("a") is a and locks.get("b") is not a


def test_sqlite_queues_every_writer_on_one_lock():
    locks = _WorkshopLocks(one_writer=True)
    assert locks.get("a") is locks.get("b")


def test_a_busy_sqlite_is_not_an_outage_but_sql_mentioning_locked_columns_can_be():
    busy = OperationalError("UPDATE workshop SET rankings_locked=1", {}, Exception("database is locked"))
    down = OperationalError("UPDATE workshop SET rankings_locked=1", {}, Exception("connection refused"))
    assert not is_database_outage(busy)
    assert is_database_outage(down)

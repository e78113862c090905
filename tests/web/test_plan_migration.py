"""Migration 0010 (0010_plan_makeup) on a database with an action plan written before dates were dates (SQLite and the real
PostgreSQL): what plainly is a date becomes an ISO date, the rest is kept word for word as the due note; the
tables say nothing about who sat at them yet, and the workshop keeps the default list of sectors."""

from __future__ import annotations

import asyncio

import pytest

from tests.web.test_catalogue_migration import OLD_WORKSHOP, alembic, execute

pytestmark = pytest.mark.asyncio

OLD_TABLE = "INSERT INTO workshop_table (id, workshop_id, name, position) VALUES ('t-old', 'w-old', 'Red', 0)"
OLD_ACTIONS = [
    ("a1", "2027-03-31"), ("a2", "31/03/2027"), ("a3", "spring"), ("a4", ""), ("a5", "30 June 2027"),
    ("a6", "31/02/2027"),
]


async def test_free_text_due_dates_become_dates_or_a_kept_note(database_url):
    await asyncio.to_thread(alembic, database_url, "command.upgrade(config, '0006')")
    await execute(database_url, OLD_WORKSHOP)
    await execute(database_url, OLD_TABLE)
    for position, (action_id, due) in enumerate(OLD_ACTIONS):
        await execute(database_url,
                      "INSERT INTO plan_action (id, workshop_id, position, action, owner, due, status, removed, "
                      f"created_at) VALUES ('{action_id}', 'w-old', {position}, 'Do it', '', '{due}', "
                      "'not_started', false, 1.0)")
    await asyncio.to_thread(alembic, database_url, "command.upgrade(config, 'head')")
    await asyncio.to_thread(alembic, database_url, "command.check(config)")
    rows = await execute(database_url, "SELECT id, due, due_note, review_date, measure, recommendation "
                                       "FROM plan_action ORDER BY position")
    assert rows == [
        ("a1", "2027-03-31", "", "", "", ""),
        ("a2", "2027-03-31", "", "", "", ""),
        ("a3", "", "spring", "", "", ""),
        ("a4", "", "", "", "", ""),
        ("a5", "2027-06-30", "", "", "", ""),
        ("a6", "", "31/02/2027", "", "", ""),
    ]
    tables = await execute(database_url, "SELECT sectors, people FROM workshop_table")
    assert [(str(s).replace(" ", ""), p) for s, p in tables] == [("[]", None)]
    workshop = await execute(database_url, "SELECT sector_options, makeup_version FROM workshop")
    assert workshop == [(None, 0)]
    # And back: the words return to where they were typed.
    await asyncio.to_thread(alembic, database_url, "command.downgrade(config, '0006')")
    assert await execute(database_url, "SELECT due FROM plan_action WHERE id = 'a3'") == [("spring",)]

"""A database error's message is logged when the database is away (commands.py, routes.py): it must never carry
a statement's values, such as a token hash or someone's words (docs/privacy.md, "Logs")."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from server.models import Credential

pytestmark = pytest.mark.asyncio


async def test_database_errors_do_not_carry_the_values(sessions):
    secret = "f" * 64
    row = dict(token_hash=secret, workshop_id="no-such-workshop", role="projector", created_at=0.0)
    with pytest.raises(IntegrityError) as failed:
        async with sessions() as session:
            session.add(Credential(**row))
            await session.commit()
            session.add(Credential(**row))
            await session.commit()
    assert secret not in str(failed.value) and "hidden" in str(failed.value)

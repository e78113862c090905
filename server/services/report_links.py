"""``report.links``: signed, short-lived download links for the report (server.reports.links)."""

from __future__ import annotations

from sqlmodel import select

from ..models import Credential
from ..reports import links as report_links
from .commands import Actor, Context, Payload, command
from .errors import unauthenticated


class NoArguments(Payload):
    pass


async def facilitator_key_hashes(session, workshop_id: str) -> list[str]:
    rows = await session.exec(
        select(Credential.token_hash).where(
            Credential.workshop_id == workshop_id,
            Credential.role.in_(("facilitator", "cofacilitator")),
            Credential.revoked == False,  # noqa: E712
        )
    )
    return list(rows)


@command("report.links", roles={"facilitator"}, payload=NoArguments)
async def make_links(ctx: Context, actor: Actor, p: NoArguments):
    keys = await facilitator_key_hashes(ctx.session, ctx.workshop.id)
    key = actor.credential_hash if actor.credential_hash in keys else (keys[0] if keys else None)
    if key is None:
        raise unauthenticated()
    found, expires = report_links.links(key, ctx.workshop.id, ctx.now)
    return {"links": found, "expires_at": float(expires)}

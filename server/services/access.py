"""Who may be in a workshop: removing participants, rotating links, the co-facilitator link, the facilitator's
optional password, and deleting a workshop with all its data.

Everything here goes through the command bus like any other change. Revoking a token takes effect twice: the
bus checks every command's token inside its transaction (``commands.check_credential``), and the connections
made with the token are told why (a ``revoked`` event) and disconnected once the change is committed
(``Context.close_connections``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from pydantic import Field
from sqlalchemy import delete, func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..broadcast import rooms
from ..models import Credential, Participant, Presence, Workshop
from . import tokens
from .commands import Actor, Context, Payload, check_credential, command
from .errors import CommandError, invalid_payload, not_found
from .guesses import Guesses
from .sections import workshop_section

PASSWORD_MIN, PASSWORD_MAX = 8, 200
# scrypt: 16 MiB and ~50 ms per check, run off the event loop in threads of its own, so no other work that
# fills the default pool (database drivers, file writers) can keep a facilitator from connecting.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_SCRYPT_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scrypt")

NOTICES = {
    "participant_removed": "The facilitator has removed this phone from the workshop.",
    "link_rotated": "This link has been replaced by a new one. Ask the facilitator for the new link.",
    "link_revoked": "The facilitator has withdrawn this link.",
    "workshop_deleted": "This workshop has been deleted.",
}


def notice(code: str) -> dict[str, str]:
    return {"code": code, "message": NOTICES[code]}


# --- passwords --------------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


async def _scrypt(function, *args):
    return await asyncio.get_running_loop().run_in_executor(_SCRYPT_THREADS, function, *args)


async def check_password(workshop: Workshop, password: object, guesses: Guesses, address: str) -> None:
    """The facilitator link of a workshop with a password also needs the password (auth.password). Tries are
    limited per workshop and per address before scrypt runs (services.guesses)."""
    if not workshop.facilitator_password:
        return
    if not isinstance(password, str) or not password:
        raise CommandError(
            "password_required", "This console also needs the workshop's password.", status=401
        )
    async with guesses.password(workshop.id, address):
        if len(password) > PASSWORD_MAX or not await _scrypt(
            password_matches, password, workshop.facilitator_password
        ):
            raise CommandError("wrong_password", "That password is not right.", status=401)


async def ensure_current(session: AsyncSession, actor: Actor) -> None:
    """Raise ``unauthenticated`` when the actor's token no longer works (for reads outside the bus)."""
    await check_credential(session, actor)


# --- helpers ----------------------------------------------------------------------------------------------


async def _credentials(ctx: Context, role: str, participant_id: str | None = None) -> list[Credential]:
    query = select(Credential).where(Credential.workshop_id == ctx.workshop.id, Credential.role == role)
    if participant_id is not None:
        query = query.where(Credential.participant_id == participant_id)
    return list(await ctx.session.exec(query))


async def _revoke(ctx: Context, credentials: list[Credential]) -> list[str]:
    hashes = [c.token_hash for c in credentials]
    if hashes:
        await ctx.session.exec(delete(Credential).where(Credential.token_hash.in_(hashes)))
    return hashes


def _new_credential(ctx: Context, role: str) -> tuple[str, str]:
    token = tokens.new_token()
    token_hash = tokens.hash_token(token)
    ctx.session.add(
        Credential(token_hash=token_hash, workshop_id=ctx.workshop.id, role=role, created_at=ctx.now)
    )
    return token, token_hash


# --- participants -----------------------------------------------------------------------------------------


class ListParticipants(Payload):
    pass


@command("participants.list", roles={"facilitator"}, payload=ListParticipants)
async def list_participants(ctx: Context, actor: Actor, p: ListParticipants):
    """Who has joined (so one can be removed). Display names go to facilitators only, never the projector."""
    rows = await ctx.session.exec(
        select(Participant)
        .where(Participant.workshop_id == ctx.workshop.id)
        .order_by(Participant.created_at, Participant.id)
    )
    live = dict(
        (
            await ctx.session.exec(
                select(Credential.participant_id, func.count(Presence.sid))
                .join(Presence, Presence.credential_hash == Credential.token_hash)
                .where(Credential.workshop_id == ctx.workshop.id, Credential.role == "participant")
                .group_by(Credential.participant_id)
            )
        ).all()
    )
    return {
        "participants": [
            {
                "id": row.id,
                "table_id": row.table_id,
                "display_name": row.display_name,
                "joined_at": row.created_at,
                "connections": int(live.get(row.id, 0)),
            }
            for row in rows
        ]
    }


class RemoveParticipant(Payload):
    participant_id: str = Field(min_length=1, max_length=32)


@command("participants.remove", roles={"facilitator"}, payload=RemoveParticipant)
async def remove_participant(ctx: Context, actor: Actor, p: RemoveParticipant):
    participant = await ctx.session.get(Participant, p.participant_id)
    if participant is None or participant.workshop_id != ctx.workshop.id:
        raise not_found("That participant")
    hashes = await _revoke(ctx, await _credentials(ctx, "participant", participant.id))
    await ctx.session.delete(participant)  # and their display name with it
    ctx.mark_changed()
    ctx.close_connections(notice("participant_removed"), credentials=hashes)
    return {"removed": participant.id}


# --- links ------------------------------------------------------------------------------------------------


class RotateLink(Payload):
    link: Literal["facilitator", "projector", "join"]


LINK_PAGES = {"facilitator": "/console", "projector": "/projector", "cofacilitator": "/console"}


@command("links.rotate", roles={"facilitator"}, payload=RotateLink, secret=("token", "path"))
async def rotate_link(ctx: Context, actor: Actor, p: RotateLink):
    """A new link; the old one stops working and the connections made with it are closed. The co-facilitator
    may rotate the projector link and the join code, not the facilitator's link."""
    if p.link == "facilitator" and actor.principal != "facilitator":
        raise CommandError("forbidden", "Only the facilitator's own link can replace it.", status=403)
    if p.link == "join":
        return await _rotate_join_code(ctx)
    old = await _revoke(ctx, await _credentials(ctx, p.link))
    token, token_hash = _new_credential(ctx, p.link)
    result = {"link": p.link, "token": token, "path": f"{LINK_PAGES[p.link]}#k={token}"}
    keep = None
    if actor.credential_hash in old and actor.connection:
        # The console that asked keeps its connection, now on the new token.
        keep = actor.connection
        await ctx.session.exec(
            update(Presence).where(Presence.sid == actor.connection).values(credential_hash=token_hash)
        )
        result["_rebind"] = token_hash
    ctx.mark_changed()
    ctx.close_connections(notice("link_rotated"), credentials=old, keep=keep)
    return result


async def _rotate_join_code(ctx: Context) -> dict:
    ws = ctx.workshop
    for _attempt in range(10):
        code = tokens.new_join_code()
        taken = await ctx.session.exec(select(Workshop.id).where(Workshop.join_code == code))
        if taken.first() is None:
            break
    else:
        raise CommandError("server_error", "Could not make a new join code. Try again.", status=500)
    # Phones already in keep their tokens: the code is only how new people find the workshop.
    ws.join_code = code
    ws.workshop_version = ctx.version
    ctx.emit_to_everyone({"type": "workshop", "version": ctx.version, "workshop": workshop_section(ws)})
    return {"link": "join", "join_code": code, "join_path": f"/j/{code}"}


class NoArguments(Payload):
    pass


@command(
    "cofacilitator.issue",
    roles={"facilitator"},
    owner_only=True,
    payload=NoArguments,
    secret=("token", "path"),
)
async def issue_cofacilitator(ctx: Context, actor: Actor, p: NoArguments):
    """A co-facilitator link: it does what the console does, except managing links, the password and deleting
    the workshop. Issuing again replaces the earlier link."""
    old = await _revoke(ctx, await _credentials(ctx, "cofacilitator"))
    token, _ = _new_credential(ctx, "cofacilitator")
    ctx.mark_changed()
    if old:
        ctx.close_connections(notice("link_revoked"), credentials=old)
    return {"link": "cofacilitator", "token": token, "path": f"/console#k={token}"}


@command("cofacilitator.revoke", roles={"facilitator"}, owner_only=True, payload=NoArguments)
async def revoke_cofacilitator(ctx: Context, actor: Actor, p: NoArguments):
    old = await _revoke(ctx, await _credentials(ctx, "cofacilitator"))
    if old:
        ctx.mark_changed()
        ctx.close_connections(notice("link_revoked"), credentials=old)
    return {"revoked": len(old)}


# --- password ---------------------------------------------------------------------------------------------


class SetPassword(Payload):
    model_config = {**Payload.model_config, "str_strip_whitespace": False}
    raw_fields = frozenset({"password"})
    password: str | None = Field(default=..., min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


@command("facilitator.set_password", roles={"facilitator"}, owner_only=True, payload=SetPassword)
async def set_password(ctx: Context, actor: Actor, p: SetPassword):
    """From the next connection the facilitator link also needs this password; null removes it."""
    if p.password is None:
        if ctx.workshop.facilitator_password is None:
            return {"password": False}
        ctx.workshop.facilitator_password = None
    else:
        ctx.workshop.facilitator_password = await _scrypt(hash_password, p.password)
    ctx.mark_changed()
    return {"password": p.password is not None}


# --- deleting ---------------------------------------------------------------------------------------------


class DeleteWorkshop(Payload):
    join_code: str = Field(min_length=1, max_length=20)  # typed by the facilitator to confirm


@command("workshop.delete", roles={"facilitator"}, owner_only=True, payload=DeleteWorkshop, keep_record=False)
async def delete_workshop(ctx: Context, actor: Actor, p: DeleteWorkshop):
    """Delete the workshop and everything in it (the database cascades to every table). Every connection is
    told and disconnected, except the console that asked, which gets the answer and should close."""
    ws = ctx.workshop
    if tokens.normalise_join_code(p.join_code) != ws.join_code:
        raise invalid_payload("join_code: type this workshop's join code to confirm.")
    sids = list(await ctx.session.exec(select(Presence.sid).where(Presence.workshop_id == ws.id)))
    workshop_id = ws.id
    ctx.session.expunge(ws)
    await ctx.session.exec(delete(Workshop).where(Workshop.id == workshop_id))
    ctx.mark_changed()
    ctx.close_connections(
        notice("workshop_deleted"), sids=sids, keep=actor.connection, to=[rooms.everyone(workshop_id)]
    )
    return {"deleted": workshop_id}

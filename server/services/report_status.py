"""``report.finalise`` and ``report.reopen``: the report's "final" marking (domain.report_status).

Only facilitator links (the facilitator and the co-facilitator) may change it; the section goes to them only.
An edit of the report's content after it was made final returns it to draft in the edit's own transaction
(services.commands).
"""

from __future__ import annotations

from ..broadcast import rooms
from ..domain import report_status
from .commands import Actor, Context, Payload, command
from .sections import report_section, report_status_of


class NoArguments(Payload):
    pass


async def _store(ctx: Context, status: report_status.ReportStatus) -> dict:
    await ctx.update_workshop(
        report_final_at=status.final_at,
        report_final_by=status.final_by,
        report_history=list(status.history),
        report_version=ctx.version,
    )
    section = report_section(ctx.workshop)
    ctx.emit({"type": "report", "version": ctx.version, "report": section}, [rooms.role(ctx.workshop.id, "facilitator")])
    return section


@command("report.finalise", roles={"facilitator"}, payload=NoArguments)
async def finalise(ctx: Context, actor: Actor, p: NoArguments):
    before = report_status_of(ctx.workshop)
    after = report_status.finalise(
        before, at=ctx.now, by=actor.principal, confirmed=bool(ctx.workshop.confirmed)
    )
    if after == before:
        return {"report": report_section(ctx.workshop)}
    return {"report": await _store(ctx, after)}


@command("report.reopen", roles={"facilitator"}, payload=NoArguments)
async def reopen(ctx: Context, actor: Actor, p: NoArguments):
    before = report_status_of(ctx.workshop)
    after = report_status.reopen(before, at=ctx.now, by=actor.principal)
    if after == before:
        return {"report": report_section(ctx.workshop)}
    return {"report": await _store(ctx, after)}

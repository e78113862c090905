"""Next steps: the action plan, the notes on wider engagement and the date of the redesign workshop. The
facilitator edits it; tables too when the facilitator allows it.

An action (issue 17, a plan that can be governed): what, the agreed priority it serves and, optionally, the line of
that priority's consolidated recommendations it carries out; an owner's role or organisation (never a person's
contact details); due and review dates as ISO dates; a measure of success; a status. ``due_note`` keeps what a due
date said in words before dates were dates (migration 0007, older imports): shown beside the date, never lost.

Removing an action is a soft delete, so ``plan.restore_action`` can undo it (the console offers "Undo").
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from sqlalchemy import func
from sqlmodel import select

from ..domain import plan as rules
from ..models import PlanAction, Principle, Worksheet, WorkshopPlan
from . import tokens
from .commands import Actor, Context, Payload, command
from .errors import CommandError, forbidden, invalid_payload, not_found
from .sections import plan_action_item, plan_section
from .state import load_plan

STATUSES = ("not_started", "in_progress", "done")
STATUS_LABELS = {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}
MAX_ACTIONS = 200
Status = Literal["not_started", "in_progress", "done"]


async def plan_row(ctx: Context) -> WorkshopPlan:
    plan = await ctx.session.get(WorkshopPlan, ctx.workshop.id)
    if plan is None:
        plan = WorkshopPlan(workshop_id=ctx.workshop.id)
        ctx.session.add(plan)
    return plan


async def publish_plan(ctx: Context) -> None:
    plan = await plan_row(ctx)
    plan.version = ctx.version
    await ctx.session.flush()
    stored, actions = await load_plan(ctx.session, ctx.workshop.id)
    section = plan_section(ctx.workshop, stored, actions)
    ctx.emit_to_everyone({"type": "plan", "version": ctx.version, "plan": section})


async def _may_edit(ctx: Context, actor: Actor) -> None:
    if actor.role == "participant":
        plan = await ctx.session.get(WorkshopPlan, ctx.workshop.id)
        if plan is None or not plan.tables_may_edit:
            raise forbidden("Only the facilitator can change the action plan just now.")


async def _known_priority(ctx: Context, priority_id: str | None) -> None:
    if priority_id is None:
        return
    found = await ctx.session.exec(
        select(Principle.pk).where(Principle.workshop_id == ctx.workshop.id, Principle.principle_id == priority_id)
    )
    if found.first() is None:
        raise not_found(f"The principle {priority_id[:64]!r}")


async def _action(ctx: Context, action_id: str) -> PlanAction:
    row = await ctx.session.get(PlanAction, action_id)
    if row is None or row.workshop_id != ctx.workshop.id:
        raise not_found("That action")
    return row


# A date in the protocol: "2027-03-31", or "" for none.
IsoDate = Annotated[str, Field(max_length=10), AfterValidator(rules.iso_or_empty)]
Recommendation = Annotated[str, Field(max_length=rules.MAX_RECOMMENDATION_CHARS)]


async def _check_recommendation(ctx: Context, priority_id: str | None, recommendation: str) -> None:
    """A recommendation is one line of the priority's consolidated "Recommendations" cell, as it is now."""
    if not recommendation:
        return
    if priority_id is None:
        raise invalid_payload("recommendation: link the action to a priority first")
    sheets = await ctx.session.exec(
        select(Worksheet.text).where(
            Worksheet.workshop_id == ctx.workshop.id,
            Worksheet.priority_id == priority_id,
            Worksheet.table_id.is_(None),
        )
    )
    text = next(iter(sheets), None) or {}
    if recommendation not in rules.recommendation_lines(str(text.get("recommendations", ""))):
        raise not_found("That recommendation (it may have just changed in the consolidated worksheet)")


class AddAction(Payload):
    action: str = Field(min_length=1, max_length=500)
    priority_id: str | None = Field(default=None, min_length=1, max_length=64)
    recommendation: Recommendation = ""
    owner: str = Field(default="", max_length=120)
    due: IsoDate = ""
    due_note: str = Field(default="", max_length=rules.MAX_DUE_NOTE_CHARS)
    review: IsoDate = ""
    measure: str = Field(default="", max_length=500)
    status: Status = "not_started"


@command("plan.add_action", roles={"participant", "facilitator"}, payload=AddAction)
async def add_action(ctx: Context, actor: Actor, p: AddAction):
    await _may_edit(ctx, actor)
    await _known_priority(ctx, p.priority_id)
    await _check_recommendation(ctx, p.priority_id, p.recommendation)
    count, last = (
        await ctx.session.exec(
            select(func.count(), func.max(PlanAction.position)).where(PlanAction.workshop_id == ctx.workshop.id)
        )
    ).one()
    if count >= MAX_ACTIONS:
        raise CommandError("plan_full", f"The plan can hold {MAX_ACTIONS} actions.", status=409)
    row = PlanAction(
        id=tokens.new_id(),
        workshop_id=ctx.workshop.id,
        position=(last if last is not None else -1) + 1,
        action=p.action,
        priority_id=p.priority_id,
        recommendation=p.recommendation,
        owner=p.owner,
        due=p.due,
        due_note=p.due_note,
        review_date=p.review,
        measure=p.measure,
        status=p.status,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(row)
    await publish_plan(ctx)
    return {"action": plan_action_item(row)}


class UpdateAction(Payload):
    action_id: str = Field(min_length=1, max_length=32)
    action: str | None = Field(default=None, min_length=1, max_length=500)
    priority_id: str | None = Field(default=None, min_length=1, max_length=64)  # null clears the link
    recommendation: Recommendation | None = None
    owner: str | None = Field(default=None, max_length=120)
    due: IsoDate | None = None
    due_note: str | None = Field(default=None, max_length=rules.MAX_DUE_NOTE_CHARS)
    review: IsoDate | None = None
    measure: str | None = Field(default=None, max_length=500)
    status: Status | None = None


COLUMNS = {"review": "review_date"}  # protocol name -> column, where they differ


@command("plan.update_action", roles={"participant", "facilitator"}, payload=UpdateAction)
async def update_action(ctx: Context, actor: Actor, p: UpdateAction):
    await _may_edit(ctx, actor)
    row = await _action(ctx, p.action_id)
    if row.removed:
        raise CommandError("invalid_state", "That action was removed. Restore it first.", status=409)
    given = p.model_fields_set - {"command_id", "action_id"}
    if "priority_id" in given:
        await _known_priority(ctx, p.priority_id)
    changes = {}
    for name in sorted(given):
        value = getattr(p, name)
        if value is None and name != "priority_id":
            raise invalid_payload(f"{name}: may not be null")
        column = COLUMNS.get(name, name)
        if getattr(row, column) != value:
            changes[column] = value
    priority = changes["priority_id"] if "priority_id" in changes else row.priority_id
    if "recommendation" in given:
        if "recommendation" in changes or "priority_id" in changes:
            await _check_recommendation(ctx, priority, p.recommendation)
    elif "priority_id" in changes and row.recommendation:
        changes["recommendation"] = ""  # it belonged to the other priority
    if changes:
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = ctx.now
        await publish_plan(ctx)
    return {"action": plan_action_item(row)}


class ActionRef(Payload):
    action_id: str = Field(min_length=1, max_length=32)


@command("plan.remove_action", roles={"participant", "facilitator"}, payload=ActionRef)
async def remove_action(ctx: Context, actor: Actor, p: ActionRef):
    await _may_edit(ctx, actor)
    row = await _action(ctx, p.action_id)
    if not row.removed:
        row.removed = True
        row.updated_at = ctx.now
        await publish_plan(ctx)
    return {"action_id": row.id}


@command("plan.restore_action", roles={"participant", "facilitator"}, payload=ActionRef)
async def restore_action(ctx: Context, actor: Actor, p: ActionRef):
    await _may_edit(ctx, actor)
    row = await _action(ctx, p.action_id)
    if row.removed:
        row.removed = False
        row.updated_at = ctx.now
        await publish_plan(ctx)
    return {"action": plan_action_item(row)}


class SetNotes(Payload):
    engagement_notes: str = Field(max_length=4000)


@command("plan.set_notes", roles={"participant", "facilitator"}, payload=SetNotes)
async def set_notes(ctx: Context, actor: Actor, p: SetNotes):
    await _may_edit(ctx, actor)
    plan = await plan_row(ctx)
    if plan.engagement_notes != p.engagement_notes:
        plan.engagement_notes = p.engagement_notes
        await publish_plan(ctx)


class SetRedesignDate(Payload):
    redesign_date: IsoDate  # YYYY-MM-DD, or "" for none


@command("plan.set_redesign_date", roles={"participant", "facilitator"}, payload=SetRedesignDate)
async def set_redesign_date(ctx: Context, actor: Actor, p: SetRedesignDate):
    await _may_edit(ctx, actor)
    plan = await plan_row(ctx)
    if plan.redesign_date != p.redesign_date:
        plan.redesign_date = p.redesign_date
        await publish_plan(ctx)


class SetTablesMayEdit(Payload):
    enabled: bool


@command("plan.set_tables_may_edit", roles={"facilitator"}, payload=SetTablesMayEdit)
async def set_tables_may_edit(ctx: Context, actor: Actor, p: SetTablesMayEdit):
    plan = await plan_row(ctx)
    if plan.tables_may_edit != p.enabled:
        plan.tables_may_edit = p.enabled
        await publish_plan(ctx)

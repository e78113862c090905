"""HTTP: the JSON endpoints and the pages (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import segno
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import reach
from ..catalogue import default_principles
from ..json_input import load_json
from ..services import workshops
from ..services.commands import is_database_outage
from ..services.errors import CommandError, unavailable
from ..services.tokens import normalise_join_code
from .bodies import error_response, json_body
from .catalogue_routes import catalogue_routes, saving_offer
from .guards import NO_STORE, check_join_rate, client_ip, creation_limit
from .report_routes import report_routes
from .static_assets import StaticAssets

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 64 * 1024
# Creating a workshop may carry an imported catalogue: 20–30 principles with their statements and descriptions.
MAX_CREATE_BYTES = 1024 * 1024
CSRF_COOKIE = "thrive_csrf"
PAGE_CACHE = {"cache-control": "no-cache"}


def _services(request: Request):
    return request.app.state.services


async def _json_body(request: Request, limit: int = MAX_JSON_BYTES) -> Any:
    return await json_body(request, limit)


def base_url(request: Request) -> str:
    configured = _services(request).settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def created_links(request: Request, created: workshops.CreatedWorkshop) -> dict[str, Any]:
    root = base_url(request)
    w = created.workshop
    return {
        "workshop": {"id": w.id, "title": w.title, "locality": w.locality, "join_code": w.join_code},
        "facilitator_token": created.facilitator_token,
        "projector_token": created.projector_token,
        "facilitator_url": f"{root}/console#k={created.facilitator_token}",
        "projector_url": f"{root}/projector#k={created.projector_token}",
        "join_url": f"{root}/j/{w.join_code}",
    }


# --- JSON endpoints -------------------------------------------------------------------------------------


def lan_origins_for(request: Request) -> list[str]:
    """The laptop's own network addresses as origins (``http://192.168.1.20:8000``), for a page opened at a
    loopback address on the laptop itself (so that phones could reach it): ``[]`` for anyone else."""
    if not (request.client and reach.is_loopback_host(request.client.host)):
        return []
    if not reach.is_loopback_url(str(request.base_url)):
        return []
    return reach.lan_origins(reach.lan_addresses(), request.url.scheme, request.url.port)


def phone_reach(request: Request, join_url: str) -> dict[str, Any]:
    """Whether phones can open the join link, and the addresses to open the console at instead (item 11)."""
    if not reach.is_loopback_url(join_url):
        return {"loopback": False, "host": "", "lan_origins": []}
    return {"loopback": True, "host": urlsplit(join_url).netloc, "lan_origins": lan_origins_for(request)}


async def api_config(request: Request) -> JSONResponse:
    settings = _services(request).settings
    return JSONResponse(
        {"transports": settings.transports, "max_text": settings.max_text, "lan_origins": lan_origins_for(request)}
    )


async def api_default_catalogue(request: Request) -> JSONResponse:
    return JSONResponse({"principles": default_principles()})


async def api_create_workshop(request: Request) -> JSONResponse:
    try:
        spec = workshops.parse_create(await _json_body(request, MAX_CREATE_BYTES))
        async with _services(request).sessions() as session:
            await creation_limit(request).check(session, client_ip(request))
            created = await workshops.create_workshop(session, spec)
            await creation_limit(request).record(session, client_ip(request))
    except CommandError as exc:
        return error_response(exc)
    return JSONResponse(created_links(request, created), status_code=201, headers=NO_STORE)


async def api_join_info(request: Request) -> JSONResponse:
    try:
        await check_join_rate(request)
        async with _services(request).sessions() as session:
            return JSONResponse(await workshops.public_join_info(session, request.path_params["code"]))
    except CommandError as exc:
        return error_response(exc)


# Joins written at once, per process. A room scanning the code together sends hundreds at the same moment; they
# are CPU-bound anyway, so queueing them here costs no time, and keeps hundreds of requests from each holding a
# session (and waiting for one of the pool's few connections) at once: the process keeps the memory of its
# busiest moment (docs/performance.md). Same reasoning as realtime.handlers.WELCOME_CONCURRENCY.
JOINS_AT_ONCE = 8


def _join_gate(request: Request) -> asyncio.Semaphore:
    state = request.app.state
    if getattr(state, "join_gate", None) is None:
        state.join_gate = asyncio.Semaphore(JOINS_AT_ONCE)  # made in the serving loop, one per app
    return state.join_gate


async def api_join(request: Request) -> JSONResponse:
    try:
        await check_join_rate(request)
        body = await _json_body(request)
        join = workshops.join_request(body)
        async with _join_gate(request):
            # Statements only, in the writer's turn: on SQLite one trip to the writer thread.
            joined = await _services(request).bus.write(
                workshops.join_in_turn, request.path_params["code"], join, time.time()
            )
    except CommandError as exc:
        return error_response(exc)
    return JSONResponse(
        {
            "participant_token": joined.participant_token,
            "participant_id": joined.participant_id,
            "table_id": joined.table_id,
        },
        status_code=201,
        headers=NO_STORE,
    )


async def qr_code(request: Request) -> Response:
    try:
        await check_join_rate(request)
        async with _services(request).sessions() as session:
            workshop = await workshops.workshop_by_code(session, request.path_params["code"])
    except CommandError as exc:
        return error_response(exc)
    qr = segno.make(f"{base_url(request)}/j/{workshop.join_code}", error="m")
    svg = io.BytesIO()
    # A standalone SVG (namespace, viewBox, no fixed size) so an <img> shows it and CSS can scale it.
    qr.save(svg, kind="svg", xmldecl=False, scale=10, border=2, dark="#000", light="#fff", omitsize=True)
    return Response(svg.getvalue(), media_type="image/svg+xml", headers={"cache-control": "public, max-age=3600"})


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers. (Whether it can serve is ``/readyz``.)"""
    return JSONResponse({"ok": True})


READY_TIMEOUT = 3.0
READY = ("ok", "not configured")


async def readyz(request: Request) -> JSONResponse:
    """Readiness: this worker can serve: not shutting down, its database answers, and Redis when configured."""
    services = _services(request)
    checks: dict[str, str] = {"worker": "draining" if services.draining else "ok"}
    try:
        async with services.sessions() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), READY_TIMEOUT)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable ({exc.__class__.__name__})"
    if services.relay is not None:
        try:
            await services.relay.ping(timeout=READY_TIMEOUT)
            checks["redis"] = "ok" if services.relay.listening else "reconnecting"
        except Exception as exc:
            checks["redis"] = f"unavailable ({exc.__class__.__name__})"
    else:
        checks["redis"] = "not configured"
    body: dict[str, Any] = {"worker_id": services.worker_id, "checks": checks}
    if all(value in READY for value in checks.values()):
        return JSONResponse({"ok": True, **body})
    failing = ", ".join(f"{name} {value}" for name, value in checks.items() if value not in READY)
    error = CommandError("unavailable", f"This worker cannot serve just now: {failing}.")
    return JSONResponse(
        {"ok": False, "error": error.to_payload(), **body}, status_code=503, headers={"retry-after": "2"}
    )


# --- Pages ----------------------------------------------------------------------------------------------


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A page: asked for again on every load (it names the assets of the version being served)."""
    template = _services(request).templates.get_template(name)
    return HTMLResponse(
        template.render({"request": request, **(context or {})}), status_code=status, headers=PAGE_CACHE
    )


async def index_page(request: Request) -> HTMLResponse:
    return render(request, "index.html")


def _new_form(request: Request, form: dict, errors: list[str], status: int = 200) -> HTMLResponse:
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "new.html",
        {"principles": default_principles(), "form": form, "errors": errors, "csrf": token},
        status=status,
    )
    # Double-submit cookie: a cross-site form cannot read it to copy it into the form.
    public_https = (_services(request).settings.public_url or "").startswith("https:")
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https" or public_https
    )
    return response


async def new_page(request: Request) -> HTMLResponse:
    return _new_form(request, {}, [])


def _spec_from_form(form) -> dict[str, Any]:
    names = [line.strip() for line in str(form.get("tables", "")).splitlines() if line.strip()]
    spec: dict[str, Any] = {"title": str(form.get("title", "")), "locality": str(form.get("locality", ""))}
    if names:
        spec["tables"] = names
    else:
        count = str(form.get("table_count", "")).strip()
        spec["table_count"] = int(count) if count.isdigit() else 0
    imported = str(form.get("principles_json", "")).strip()
    if imported:
        # An imported catalogue (the set-up page's import step): its principles carry their own baseline scores.
        try:
            spec["principles"] = load_json(imported, "The imported catalogue")
        except CommandError:
            spec["principles"] = "not valid JSON"
        return _durations_from_form(form, spec)
    scores = {}
    for key, value in form.items():
        if key.startswith("baseline_") and str(value).strip():
            raw = str(value).strip()
            scores[key.removeprefix("baseline_")] = int(raw) if raw.isdigit() else 0
    if scores:
        spec["baseline_scores"] = scores
    return _durations_from_form(form, spec)


def _durations_from_form(form, spec: dict[str, Any]) -> dict[str, Any]:
    minutes = {}
    for kind in ("review", "discuss", "rank", "share", "consensus"):
        raw = str(form.get(f"minutes_{kind}", "")).strip()
        if raw:
            minutes[kind] = int(raw) if raw.isdigit() else -1
    if minutes:
        spec["durations_minutes"] = minutes
    return spec


async def create_from_form(request: Request) -> HTMLResponse:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_CREATE_BYTES + MAX_JSON_BYTES:
        return _new_form(request, {}, ["The form is too large to send."], 413)
    # principles_json (an imported catalogue) may be large; the other fields are small.
    form = await request.form(max_files=0, max_fields=200, max_part_size=MAX_CREATE_BYTES)
    values = {k: str(v) for k, v in form.items()}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, values.get("csrf", "")):
        return _new_form(
            request, values, ["Your form had expired. Please check it and press Create again."], 400
        )
    try:
        spec = workshops.parse_create(_spec_from_form(values))
        async with _services(request).sessions() as session:
            await creation_limit(request).check(session, client_ip(request))
            created = await workshops.create_workshop(session, spec)
            await creation_limit(request).record(session, client_ip(request))
    except CommandError as exc:
        response = _new_form(request, values, [exc.message], exc.status)
        if "retry_after" in exc.extra:
            response.headers["retry-after"] = str(exc.extra["retry_after"])
        return response
    result = created_links(request, created)
    response = render(
        request,
        "created.html",
        {
            "result": result,
            "qr_url": f"/qr/{result['workshop']['join_code']}.svg",
            "save_catalogue": saving_offer(values, created.workshop.locality),
            "reach": phone_reach(request, result["join_url"]),
        },
    )
    response.headers.update(NO_STORE)  # it holds the secret links
    return response


async def phone_page(request: Request) -> HTMLResponse:
    code = normalise_join_code(request.path_params["code"])
    try:
        await check_join_rate(request)
        async with _services(request).sessions() as session:
            await workshops.workshop_by_code(session, code)
    except CommandError as exc:
        page = render(request, "join.html", {"error": exc.message, "code": code}, status=exc.status)
        if "retry_after" in exc.extra:
            page.headers["retry-after"] = str(exc.extra["retry_after"])
        return page
    return render(request, "phone.html", {"join_code": code})


async def join_page(request: Request) -> Response:
    code = normalise_join_code(request.query_params.get("code", ""))
    if code:
        return RedirectResponse(f"/j/{code}", status_code=303)
    return render(request, "join.html", {"error": None, "code": ""})


async def console_page(request: Request) -> HTMLResponse:
    return render(request, "console.html")


async def projector_page(request: Request) -> HTMLResponse:
    return render(request, "projector.html")


def routes() -> list:
    return [
        Route("/", index_page),
        Route("/new", new_page, methods=["GET"]),
        Route("/new", create_from_form, methods=["POST"]),
        Route("/join", join_page),
        Route("/j/{code}", phone_page),
        Route("/console", console_page),
        Route("/projector", projector_page),
        Route("/qr/{code}.svg", qr_code),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/api/config", api_config),
        Route("/api/catalogue/default", api_default_catalogue),
        Route("/api/workshops", api_create_workshop, methods=["POST"]),
        *catalogue_routes(),
        *report_routes(),
        Route("/api/join/{code}", api_join_info, methods=["GET"]),
        Route("/api/join/{code}", api_join, methods=["POST"]),
        Route("/static/{path:path}", StaticAssets().serve, methods=["GET"]),
    ]


# --- The database is down -------------------------------------------------------------------------------


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    """A request that could not reach the database: 503 and the protocol's retryable ``unavailable`` error
    (JSON for the API, a short page otherwise), not a 500."""
    if not (is_database_outage(exc) or isinstance(exc, PoolTimeout)):
        raise exc
    log.warning("database unavailable during %s %s: %s", request.method, request.url.path, exc)
    error = unavailable()
    headers = {"retry-after": "2"}
    if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": error.to_payload()}, status_code=503, headers=headers)
    return HTMLResponse(
        "<!doctype html><title>Back in a moment</title><p>" + error.message + "</p>",
        status_code=503,
        headers=headers,
    )


def exception_handlers() -> dict:
    """For Starlette(exception_handlers=...): database outages answer 503 everywhere."""
    return {
        DBAPIError: _database_unavailable,
        OSError: _database_unavailable,
        PoolTimeout: _database_unavailable,
    }

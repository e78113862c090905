"""HTTP: the JSON endpoints and the pages (docs/protocol.md)."""

from __future__ import annotations

import io
import json
import secrets
from typing import Any

import segno
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..catalogue import default_principles
from ..services import workshops
from ..services.errors import CommandError, invalid_payload
from ..services.tokens import normalise_join_code
from .assets import front_end_dir

MAX_JSON_BYTES = 64 * 1024
CSRF_COOKIE = "thrive_csrf"


def _services(request: Request):
    return request.app.state.services


def _error(exc: CommandError) -> JSONResponse:
    return JSONResponse({"error": exc.to_payload()}, status_code=exc.status)


async def _json_body(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise CommandError("too_large", "The request is too large.", status=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise CommandError("too_large", "The request is too large.", status=413)
    try:
        return json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise invalid_payload("The body is not valid JSON.") from None


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


async def api_config(request: Request) -> JSONResponse:
    settings = _services(request).settings
    return JSONResponse({"transports": settings.transports, "max_text": settings.max_text})


async def api_default_catalogue(request: Request) -> JSONResponse:
    return JSONResponse({"principles": default_principles()})


async def api_create_workshop(request: Request) -> JSONResponse:
    try:
        spec = workshops.parse_create(await _json_body(request))
        async with _services(request).sessions() as session:
            created = await workshops.create_workshop(session, spec)
    except CommandError as exc:
        return _error(exc)
    return JSONResponse(created_links(request, created), status_code=201)


async def api_join_info(request: Request) -> JSONResponse:
    try:
        async with _services(request).sessions() as session:
            return JSONResponse(await workshops.public_join_info(session, request.path_params["code"]))
    except CommandError as exc:
        return _error(exc)


async def api_join(request: Request) -> JSONResponse:
    try:
        body = await _json_body(request)
        async with _services(request).sessions() as session:
            joined = await workshops.join_table(session, request.path_params["code"], body)
    except CommandError as exc:
        return _error(exc)
    return JSONResponse(
        {
            "participant_token": joined.participant_token,
            "participant_id": joined.participant_id,
            "table_id": joined.table_id,
        },
        status_code=201,
    )


async def qr_code(request: Request) -> Response:
    try:
        async with _services(request).sessions() as session:
            workshop = await workshops.workshop_by_code(session, request.path_params["code"])
    except CommandError as exc:
        return _error(exc)
    qr = segno.make(f"{base_url(request)}/j/{workshop.join_code}", error="m")
    svg = io.BytesIO()
    # A standalone SVG (namespace, viewBox, no fixed size) so an <img> shows it and CSS can scale it.
    qr.save(svg, kind="svg", xmldecl=False, scale=10, border=2, dark="#000", light="#fff", omitsize=True)
    return Response(svg.getvalue(), media_type="image/svg+xml", headers={"cache-control": "public, max-age=3600"})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


# --- Pages ----------------------------------------------------------------------------------------------


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    template = _services(request).templates.get_template(name)
    return HTMLResponse(template.render({"request": request, **(context or {})}), status_code=status)


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
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https"
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
    scores = {}
    for key, value in form.items():
        if key.startswith("baseline_") and str(value).strip():
            raw = str(value).strip()
            scores[key.removeprefix("baseline_")] = int(raw) if raw.isdigit() else 0
    if scores:
        spec["baseline_scores"] = scores
    minutes = {}
    for kind in ("rank", "share", "consensus"):
        raw = str(form.get(f"minutes_{kind}", "")).strip()
        if raw:
            minutes[kind] = int(raw) if raw.isdigit() else 0
    if minutes:
        spec["durations_minutes"] = minutes
    return spec


async def create_from_form(request: Request) -> HTMLResponse:
    form = await request.form(max_files=0, max_fields=200, max_part_size=MAX_JSON_BYTES)
    values = {k: str(v) for k, v in form.items()}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, values.get("csrf", "")):
        return _new_form(
            request, values, ["Your form had expired. Please check it and press Create again."], 400
        )
    try:
        spec = workshops.parse_create(_spec_from_form(values))
        async with _services(request).sessions() as session:
            created = await workshops.create_workshop(session, spec)
    except CommandError as exc:
        return _new_form(request, values, [exc.message], exc.status)
    result = created_links(request, created)
    return render(
        request, "created.html", {"result": result, "qr_url": f"/qr/{result['workshop']['join_code']}.svg"}
    )


async def phone_page(request: Request) -> HTMLResponse:
    code = normalise_join_code(request.path_params["code"])
    try:
        async with _services(request).sessions() as session:
            await workshops.workshop_by_code(session, code)
    except CommandError as exc:
        return render(request, "join.html", {"error": exc.message, "code": code}, status=404)
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


class RevalidatedStaticFiles(StaticFiles):
    """Static files that browsers must revalidate (ETag), so a deploy never leaves phones on old code.

    Pages link assets with a content hash (``static_url``), but ES module imports between files cannot carry one.
    """

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["cache-control"] = "no-cache"
        return response


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
        Route("/api/config", api_config),
        Route("/api/catalogue/default", api_default_catalogue),
        Route("/api/workshops", api_create_workshop, methods=["POST"]),
        Route("/api/join/{code}", api_join_info, methods=["GET"]),
        Route("/api/join/{code}", api_join, methods=["POST"]),
        Mount(
            "/static/client",
            RevalidatedStaticFiles(directory=front_end_dir("client") / "static", check_dir=False),
            name="client",
        ),
        Mount(
            "/static/facilitator",
            RevalidatedStaticFiles(directory=front_end_dir("facilitator") / "static", check_dir=False),
            name="facilitator",
        ),
    ]

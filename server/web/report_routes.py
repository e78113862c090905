"""HTTP for the Phase 1 report (docs/protocol.md, "The Phase 1 report and implementation plan"):
``GET /api/workshops/{id}/report.{docx,xlsx,zip,json,html}`` and ``POST /api/workshops/import``."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import importlib
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..models import Workshop
from ..reports import FORMATS
from ..reports import html as html_report
from ..reports import links as report_links
from ..reports.data import assemble, load_report_rows
from ..reports.json_export import MAX_IMPORT_BYTES, export, import_workshop
from ..services.errors import CommandError, not_found, unauthenticated
from ..services.report_links import facilitator_key_hashes
from ..services.workshops import authenticate
from .bodies import error_response, read_body, require_json
from .guards import NO_STORE, client_ip, creation_limit

# The module in server/reports/ whose ``render`` makes each format. Imported on the first report asked for, not
# at start-up: the .docx and .xlsx renderers load python-docx and openpyxl (and with them lxml, Pillow and numpy,
# ~30 MB resident), which a server that never makes a report should not hold (tests/test_startup_imports.py).
RENDERERS = {"docx": "docx", "xlsx": "xlsx", "zip": "csv", "html": "html"}


# Reports are made one at a time per process (rows read, then rendered in a thread of their own): off the event
# loop that serves the live workshops, and a workshop of many worksheets asked for in five formats at once
# holds one report's rows and document at a time, not five (1,860 worksheets: minutes of CPU, ~150 MB).
_REPORT_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report")


def _report_turn(request: Request) -> asyncio.Lock:
    state = request.app.state
    if getattr(state, "report_turn", None) is None:
        state.report_turn = asyncio.Lock()  # made in the serving loop
    return state.report_turn


def _make(fmt: str, rows) -> bytes:
    try:
        if fmt == "json":
            return json.dumps(export(rows), ensure_ascii=False, indent=1).encode("utf-8")
        renderer = importlib.import_module(f"..reports.{RENDERERS[fmt]}", __package__)  # the first import, too
        return renderer.render(assemble(rows))
    finally:
        _give_memory_back()


def _give_memory_back() -> None:
    """A big report's document tree is freed when it is written, but the C heap keeps the pages: hand them back
    to the system (glibc's public malloc_trim), so one report's peak does not stay the serving process's size."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None  # not glibc (musl, macOS): nothing to trim


_LIBC = _glibc()


def _refused(exc: CommandError) -> JSONResponse:
    return error_response(exc, NO_STORE)


def _file_name(title: str, fmt: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:60] or "workshop"
    suffix = FORMATS[fmt][1]
    return f"{stem}-{suffix}"


async def _authorised(request: Request, session, workshop_id: str, fmt: str) -> None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        password = request.headers.get("x-facilitator-password")
        actor = await authenticate(
            session, header[7:].strip(), password, guesses=request.app.state.services.guesses, address=client_ip(request)
        )
        if actor.role != "facilitator" or actor.workshop_id != workshop_id:
            raise unauthenticated()
        return
    expires, sig = request.query_params.get("exp", ""), request.query_params.get("sig", "")
    if not expires.isdigit() or not sig:
        raise unauthenticated("This download link is missing its signature. Get a new one from the console.")
    keys = await facilitator_key_hashes(session, workshop_id)
    if not report_links.valid(keys, workshop_id, fmt, int(expires), sig, time.time()):
        raise unauthenticated("This download link has expired. Get a new one from the console.")


async def report(request: Request) -> Response:
    workshop_id = request.path_params["workshop_id"]
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        return _refused(not_found("That report format"))
    services = request.app.state.services
    try:
        async with services.sessions() as session:
            workshop = await session.get(Workshop, workshop_id)
            if workshop is None:
                raise unauthenticated()  # not "not found": the id alone must not tell a workshop exists
            await _authorised(request, session, workshop_id, fmt)
    except CommandError as exc:
        return _refused(exc)
    media_type, _suffix = FORMATS[fmt]
    async with _report_turn(request):
        async with services.sessions() as session:
            workshop = await session.get(Workshop, workshop_id)
            if workshop is None:
                return _refused(unauthenticated())  # deleted while waiting for its turn
            rows = await load_report_rows(session, workshop, time.time())
        body = await asyncio.get_running_loop().run_in_executor(_REPORT_THREAD, _make, fmt, rows)
        del rows
    # The printable page opens in the browser (to read, print or "Save as PDF"); the others download.
    disposition = "inline" if fmt == "html" else "attachment"
    headers = {
        "content-disposition": f'{disposition}; filename="{_file_name(workshop.title, fmt)}"',
        "cache-control": "no-store",
    }
    if fmt == "html":
        headers["content-security-policy"] = html_report.CONTENT_SECURITY_POLICY
    return Response(body, media_type=media_type, headers=headers)


async def import_export(request: Request) -> Response:
    from .routes import created_links

    services = request.app.state.services
    try:
        require_json(request)
        body = await read_body(request, MAX_IMPORT_BYTES, "The export is too large (at most 16 MiB).")
        # Parsed and checked in a parser child (server.untrusted); checked again before anything is stored.
        raw = await services.parsers.run("workshop.import", {}, body, address=client_ip(request))
        async with services.sessions() as session:
            await creation_limit(request).check(session, client_ip(request))
            created = await import_workshop(session, raw)
            await creation_limit(request).record(session, client_ip(request))
    except CommandError as exc:
        return _refused(exc)
    return JSONResponse(created_links(request, created), status_code=201, headers=NO_STORE)


def report_routes() -> list[Route]:
    return [
        Route("/api/workshops/import", import_export, methods=["POST"]),
        Route("/api/workshops/{workshop_id}/report.{fmt}", report, methods=["GET"]),
    ]

"""HTTP endpoints for a site's own catalogue (docs/import.md, docs/protocol.md "Catalogue import"):

- ``POST /api/catalogue/preview``: a file (multipart ``file``, or JSON with ``content_base64`` or ``text``) and an
  optional mapping -> the columns, the guessed mapping, and which rows are accepted (with the principle each makes)
  or refused (with every reason). Nothing is stored.
- ``POST /api/catalogue/import``: the same with an explicit mapping -> the principles for ``POST /api/workshops``.
- ``GET /api/catalogue/templates/{format}``: a template (made-up text) as csv, xlsx, json or docx.
- ``POST /api/catalogue/export``: principles -> a file in one of those formats.
- ``POST /api/catalogues`` (``Authorization: Bearer <console token>``, and ``X-Facilitator-Password`` when the
  workshop has one): save a catalogue for that workshop's locality.
- ``GET /api/catalogues?locality=…``, ``GET /api/catalogues/{id}``, ``GET /api/catalogues/{id}/export/{format}``:
  a locality's saved catalogues, open to anyone setting up a workshop.

Uploads are read into memory, never onto disk, and refused past their size before they are parsed. Parsing runs
in a child process with hard limits (``server.untrusted``): a hostile file costs a refusal, never the server.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..catalogue import formats
from ..json_input import load_json
from ..services import catalogues
from ..services.errors import CommandError, forbidden, invalid_payload, unauthenticated
from ..services.limits import RateLimiter, rate_limited
from ..services.workshops import authenticate
from .bodies import error_response, json_body, media_type, read_body
from .guards import client_ip

MAX_UPLOAD_BODY = formats.MAX_BYTES + 256 * 1024  # a multipart body: the file, the mapping and the boundaries
MAX_JSON_UPLOAD = formats.MAX_BYTES * 4 // 3 + 256 * 1024  # a JSON body carrying the file in base64
MAX_JSON_BODY = 1024 * 1024  # saving or exporting principles
# Per address: previews and imports parse files (CPU), saves write rows. Generous for a facilitator adjusting
# a mapping; a flood runs into them.
LIMITS = {"parse": (1.0, 20), "save": (0.1, 10), "read": (5.0, 50)}


def _check_rate(request: Request, kind: str) -> None:
    state = request.app.state
    limiters = getattr(state, "catalogue_limiters", None)
    if limiters is None:
        limiters = state.catalogue_limiters = {k: RateLimiter(rate, burst) for k, (rate, burst) in LIMITS.items()}
    wait = limiters[kind].take(client_ip(request))
    if wait:
        raise rate_limited(wait, "Too many requests from this network. Wait a moment, then try again.")


def _sessions(request: Request):
    return request.app.state.services.sessions


TOO_LARGE = f"The upload is too large: files of at most {formats.MAX_BYTES // 1048576} MiB are accepted."


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """name -> (filename, bytes) for each part, parsed in memory (Starlette's parser spools files to disk)."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise invalid_payload("The upload is not valid multipart/form-data (no boundary).")
    parts: list[tuple[dict[bytes, bytes], bytearray]] = []
    current: dict[str, Any] = {}
    field, value = bytearray(), bytearray()

    def on_part_begin():
        current["headers"], current["data"] = {}, bytearray()

    def on_header_field(data, start, end):
        field.extend(data[start:end])

    def on_header_value(data, start, end):
        value.extend(data[start:end])

    def on_header_end():
        current["headers"][bytes(field).lower()] = bytes(value)
        field.clear()
        value.clear()

    def on_part_data(data, start, end):
        current["data"].extend(data[start:end])

    def on_part_end():
        parts.append((current["headers"], current["data"]))
        if len(parts) > 10:
            raise invalid_payload("The upload has too many parts.")

    callbacks = {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_part_data": on_part_data, "on_part_end": on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks, max_size=MAX_UPLOAD_BODY)
        parser.write(body)
        parser.finalize()
    except CommandError:
        raise
    except Exception:
        raise invalid_payload("The upload is not valid multipart/form-data.") from None
    result: dict[str, tuple[str | None, bytes]] = {}
    for headers, data in parts:
        _, disposition = parse_options_header(headers.get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        filename = disposition.get(b"filename")
        if name and name not in result:
            result[name] = (filename.decode("utf-8", "replace") if filename is not None else None, bytes(data))
    return result


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


async def read_upload(request: Request) -> dict[str, Any]:
    """The file, its name, the declared format, the mapping and ``skip_refused`` from a multipart or JSON body."""
    media = media_type(request)
    if media == "multipart/form-data":
        parts = parse_multipart(await read_body(request, MAX_UPLOAD_BODY, TOO_LARGE), request.headers["content-type"])
        filename, data = parts.get("file", (None, b""))
        raw_mapping = None
        if "mapping" in parts and parts["mapping"][1].strip():
            raw_mapping = load_json(parts["mapping"][1], "The mapping")
        declared = parts.get("format", (None, b""))[1].decode("utf-8", "replace").strip() or None
        skip = _flag(parts.get("skip_refused", (None, b""))[1].decode("utf-8", "replace"))
    elif media == "application/json":
        body = load_json(await read_body(request, MAX_JSON_UPLOAD, TOO_LARGE))
        if not isinstance(body, dict):
            raise invalid_payload("The request must be a JSON object.")
        unknown = set(body) - {"filename", "format", "content_base64", "text", "mapping", "skip_refused"}
        if unknown:
            raise invalid_payload(f"Unknown field {sorted(unknown)[0][:40]!r}.")
        filename = body.get("filename") if isinstance(body.get("filename"), str) else ""
        if isinstance(body.get("content_base64"), str):
            try:
                data = base64.b64decode(body["content_base64"], validate=True)
            except (binascii.Error, ValueError):
                raise invalid_payload("content_base64: not valid base64.") from None
        elif isinstance(body.get("text"), str):
            data = body["text"].encode("utf-8")
        else:
            data = b""
        raw_mapping = body.get("mapping")
        declared = body.get("format") if isinstance(body.get("format"), str) else None
        skip = _flag(body.get("skip_refused", False))
    else:
        raise CommandError(
            "unsupported_media_type", "Send the file as multipart/form-data (field 'file'), or as JSON.", status=415
        )
    if not data:
        raise CommandError("empty", "Choose a file to import: none was received.", status=422)
    try:
        formats.check_size(len(data))
    except formats.CatalogueFileError as exc:
        raise catalogues.file_error(exc) from None
    if declared is not None and declared not in formats.FORMATS:
        raise invalid_payload(f"format: one of {', '.join(formats.FORMATS)}.")
    return {"filename": filename or "", "data": data, "declared": declared, "mapping": raw_mapping, "skip": skip}


async def _json(request: Request) -> Any:
    return await json_body(request, MAX_JSON_BODY)


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"},
    )


# --- endpoints --------------------------------------------------------------------------------------------


async def _parse_upload(request: Request, job: str) -> JSONResponse:
    try:
        _check_rate(request, "parse")
        upload = await read_upload(request)
        params = {
            "filename": upload["filename"],
            "declared": upload["declared"],
            "mapping": upload["mapping"],
            "skip_refused": upload["skip"],
        }
        result = await request.app.state.services.parsers.run(job, params, upload["data"], address=client_ip(request))
    except CommandError as exc:
        return error_response(exc)
    return JSONResponse(result)


async def api_preview(request: Request) -> JSONResponse:
    return await _parse_upload(request, "catalogue.preview")


async def api_import(request: Request) -> JSONResponse:
    return await _parse_upload(request, "catalogue.import")


async def api_template(request: Request) -> Response:
    try:
        return _download(*catalogues.template(request.path_params["format"]))
    except CommandError as exc:
        return error_response(exc)


async def api_export(request: Request) -> Response:
    try:
        _check_rate(request, "read")
        body = await _json(request)
        content, media_type, filename = await asyncio.to_thread(catalogues.export, body)
    except CommandError as exc:
        return error_response(exc)
    return _download(content, media_type, filename)


NEEDS_CONSOLE = (
    "Saving a catalogue needs the console link of a workshop of its locality: create the workshop, then save "
    "from its links page, or send its console token as 'Authorization: Bearer …'."
)


async def _saving_workshop(request: Request, session) -> str:
    """The id of the workshop whose console token (facilitator or co-facilitator link, with the workshop's
    password if it has one) the request carries, as report downloads authenticate it."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise unauthenticated(NEEDS_CONSOLE)
    actor = await authenticate(
        session, header[7:].strip(), request.headers.get("x-facilitator-password"),
        guesses=request.app.state.services.guesses, address=client_ip(request),
    )
    if actor.role != "facilitator":
        raise forbidden("Only a workshop's console (the facilitator or co-facilitator link) can save a catalogue.")
    return actor.workshop_id


async def api_save(request: Request) -> JSONResponse:
    try:
        _check_rate(request, "save")
        body = await _json(request)
        async with _sessions(request)() as session:
            workshop_id = await _saving_workshop(request, session)
            saved = await catalogues.save(session, workshop_id, body)
    except CommandError as exc:
        return error_response(exc)
    return JSONResponse({"catalogue": saved}, status_code=201)


async def api_list(request: Request) -> JSONResponse:
    try:
        _check_rate(request, "read")
        async with _sessions(request)() as session:
            found = await catalogues.list_for(session, request.query_params.get("locality", ""))
    except CommandError as exc:
        return error_response(exc)
    return JSONResponse({"catalogues": found})


async def api_get(request: Request) -> JSONResponse:
    try:
        _check_rate(request, "read")
        async with _sessions(request)() as session:
            catalogue = await catalogues.get(session, request.path_params["catalogue_id"])
    except CommandError as exc:
        return error_response(exc)
    return JSONResponse({"catalogue": catalogues.full(catalogue)})


async def api_export_saved(request: Request) -> Response:
    try:
        _check_rate(request, "read")
        async with _sessions(request)() as session:
            content, media_type, filename = await catalogues.export_saved(
                session, request.path_params["catalogue_id"], request.path_params["format"]
            )
    except CommandError as exc:
        return error_response(exc)
    return _download(content, media_type, filename)


def saving_offer(form: dict[str, str], locality: str) -> dict[str, str] | None:
    """What the page of links offers to save after the set-up form created a workshop with a catalogue imported
    from a file (``principles_json``, and the name the set-up page suggests for it in ``catalogue_title``, left
    empty for a catalogue that is already saved), when the workshop has a locality to save it for. The page
    saves with the console token it shows (``facilitator/save-catalogue.js``)."""
    title = " ".join(str(form.get("catalogue_title", "")).split())[:200]
    if not str(form.get("principles_json", "")).strip() or not title or not locality.strip():
        return None
    return {"title": title}


def catalogue_routes() -> list[Route]:
    return [
        Route("/api/catalogue/preview", api_preview, methods=["POST"]),
        Route("/api/catalogue/import", api_import, methods=["POST"]),
        Route("/api/catalogue/templates/{format}", api_template, methods=["GET"]),
        Route("/api/catalogue/export", api_export, methods=["POST"]),
        Route("/api/catalogues", api_save, methods=["POST"]),
        Route("/api/catalogues", api_list, methods=["GET"]),
        Route("/api/catalogues/{catalogue_id}", api_get, methods=["GET"]),
        Route("/api/catalogues/{catalogue_id}/export/{format}", api_export_saved, methods=["GET"]),
    ]

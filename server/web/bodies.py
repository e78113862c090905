"""Request bodies from outside (read in memory up to a limit, JSON parsed or refused with a clear 400), and
refusals answered as JSON."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..json_input import load_json
from ..services.errors import CommandError


def error_response(exc: CommandError, headers: dict[str, str] | None = None) -> JSONResponse:
    """``{"error": {code, message, ...}}`` with the error's status, and Retry-After when it says when."""
    headers = dict(headers or {})
    if "retry_after" in exc.extra:
        headers["retry-after"] = str(exc.extra["retry_after"])
    return JSONResponse({"error": exc.to_payload()}, status_code=exc.status, headers=headers or None)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request: Request, limit: int, message: str = "The request is too large.") -> bytes:
    """The whole body, refused (413) as soon as it is known to pass ``limit``: by its declared length, or as
    it arrives."""
    too_large = CommandError("too_large", message, status=413)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise too_large
    return bytes(body)


def require_json(request: Request) -> None:
    # JSON only: a cross-site form cannot send application/json without the browser asking first (CORS).
    if media_type(request) != "application/json":
        raise CommandError("unsupported_media_type", "Send JSON (Content-Type: application/json).", status=415)


async def json_body(request: Request, limit: int) -> Any:
    require_json(request)
    return load_json(await read_body(request, limit))

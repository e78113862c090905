"""The HTTP side of the limits (services.limits): workshops created per address per hour, and join-code
look-ups and joins per address per second (services.guesses)."""

from __future__ import annotations

from starlette.requests import Request

from ..services.limits import CreationLimit

NO_STORE = {"cache-control": "no-store"}  # responses that carry secret links


def client_ip(request: Request) -> str:
    """The address uvicorn gives (with --proxy-headers, the one a trusted proxy names)."""
    return request.client.host if request.client else "unknown"


def _settings(request: Request):
    return request.app.state.services.settings


def creation_limit(request: Request) -> CreationLimit:
    state = request.app.state
    limit = getattr(state, "creation_limit", None)
    if limit is None:
        limit = state.creation_limit = CreationLimit(_settings(request))
    return limit


async def check_join_rate(request: Request) -> None:
    """Join-code look-ups and joins from one address (services.guesses). Raises ``rate_limited``."""
    await request.app.state.services.guesses.check_join(client_ip(request))

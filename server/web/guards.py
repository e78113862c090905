"""The HTTP side of the limits (services.limits): workshops created per address per hour, and join-code
look-ups and joins per address per second. Kept on the Starlette app's state, one set per process."""

from __future__ import annotations

from starlette.requests import Request

from ..services.limits import CreationLimit, RateLimiter, rate_limited

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


def check_join_rate(request: Request) -> None:
    """Join-code look-ups and joins from one address: generous for a room behind one NAT address, but a
    join-code search or a flood of fake participants runs into it. Raises ``rate_limited``."""
    state = request.app.state
    limiter = getattr(state, "join_limiter", None)
    if limiter is None:
        settings = _settings(request)
        limiter = state.join_limiter = RateLimiter(
            settings.limits.joins_per_second_per_ip, settings.limits.joins_burst_per_ip
        )
    wait = limiter.take(client_ip(request))
    if wait:
        raise rate_limited(wait, "Too many requests from this network. Wait a moment, then try again.")

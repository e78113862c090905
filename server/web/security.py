"""Security headers on every HTTP response (socket.io traffic does not pass through Starlette), and a log
filter that keeps secret links out of the server's debug logs."""

from __future__ import annotations

import logging

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "media-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000")  # only on responses served over HTTPS


class SecurityHeadersMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = [*HEADERS, HSTS] if scope.get("scheme") == "https" else HEADERS

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                existing = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in headers if n not in existing]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _NoFrames(logging.Filter):
    """Drops the websocket frames uvicorn logs at debug level ("< TEXT '40{"token": …}'"): they carry the
    tokens of every connection and the payloads of every event. (At trace level uvicorn also logs every ASGI
    message with its body: that logger is silenced for the same reason.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.asgi":
            return False
        message = record.msg if isinstance(record.msg, str) else ""
        return not message.startswith(("< ", "> ", "%s < ", "%s > "))


def keep_secrets_out_of_logs() -> None:
    for name in ("uvicorn.error", "uvicorn.asgi", "websockets", "websockets.server", "websockets.protocol"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoFrames) for f in logger.filters):
            logger.addFilter(_NoFrames())

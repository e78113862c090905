"""Security headers on every HTTP response (socket.io traffic does not pass through Starlette), and log
filters that keep secrets out of the server's logs: websocket frames at debug level, and signatures and
session ids in the access log's paths."""

from __future__ import annotations

import logging
import re

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


# Query parameters that hold a bearer secret: a signed report link's signature, and the engine.io session id of
# a polling connection (whoever has it can poll that connection's messages).
_SECRET_QUERY = re.compile(r"(?<=[?&])(sig|sid)=[^&\s]*", re.IGNORECASE)


def redact_query(path: str) -> str:
    """``path`` with the values of the query parameters above replaced by ``…``."""
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=…", path) if "?" in path else path


class _NoQuerySecrets(logging.Filter):
    """The access log line's path (uvicorn passes it as the third argument) without secrets in its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def keep_secrets_out_of_logs() -> None:
    for name in ("uvicorn.error", "uvicorn.asgi", "websockets", "websockets.server", "websockets.protocol"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoFrames) for f in logger.filters):
            logger.addFilter(_NoFrames())
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _NoQuerySecrets) for f in access.filters):
        access.addFilter(_NoQuerySecrets())

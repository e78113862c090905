"""The one error type services raise; transports turn it into an ack or an HTTP response."""

from __future__ import annotations

from typing import Any


class CommandError(Exception):
    """A refusal with a stable code (see docs/protocol.md) and a message for people."""

    def __init__(self, code: str, message: str, *, status: int = 400, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra or {}

    def to_payload(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}


def unauthenticated(
    message: str = "This link or token is not valid any more. Ask the facilitator.",
) -> CommandError:
    return CommandError("unauthenticated", message, status=401)


def forbidden(message: str = "You are not allowed to do that.") -> CommandError:
    return CommandError("forbidden", message, status=403)


def not_found(what: str) -> CommandError:
    return CommandError("not_found", f"{what} was not found in this workshop.", status=404)


def invalid_payload(message: str) -> CommandError:
    return CommandError("invalid_payload", message, status=422)


def invalid_state(message: str) -> CommandError:
    return CommandError("invalid_state", message, status=409)


def unavailable() -> CommandError:
    return CommandError(
        "unavailable", "The server cannot reach its database just now. Try again in a moment.", status=503
    )

"""Errors raised by the pure domain modules.

A ``DomainError`` is a refusal, not a crash: the state is unchanged and the caller answers the client with
``{"code": ..., "message": ...}``. ``code`` is a stable machine-readable word; ``message`` is written for the
people in the room (no jargon, says what to do next).
"""

from __future__ import annotations


class DomainError(Exception):
    """An action that does not fit the rules or the current state."""

    def __init__(self, code: str, message: str) -> None:
        # Passing both to Exception keeps the error picklable and readable in logs.
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class Conflict(DomainError):
    """An edit made on an older version that cannot be applied on top of the current one.

    The client should fetch the current state and retry if the change is still wanted.
    """

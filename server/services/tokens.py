"""Secret tokens and join codes. Only a token's hash is stored, so a database leak exposes no link."""

from __future__ import annotations

import hashlib
import secrets
import uuid

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read off a projector
JOIN_CODE_LENGTH = 6


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_id() -> str:
    return uuid.uuid4().hex


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(raw: str) -> str:
    """People type codes in lower case, with spaces or dashes: match what they meant."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())

"""Short-lived signed download links for the report, so that a plain ``<a download>`` works without putting a
token in a URL. The key is the server-side hash of a facilitator (or co-facilitator) token of the workshop:
every worker can check it from the database, and rotating or revoking that link voids its download links."""

from __future__ import annotations

import hashlib
import hmac

from . import FORMATS

LINK_SECONDS = 600


def signature(key_hash: str, workshop_id: str, fmt: str, expires: int) -> str:
    message = f"report|{workshop_id}|{fmt}|{expires}".encode()
    return hmac.new(key_hash.encode(), message, hashlib.sha256).hexdigest()[:40]


def links(key_hash: str, workshop_id: str, now: float) -> tuple[dict[str, str], int]:
    expires = int(now) + LINK_SECONDS
    return (
        {
            fmt: f"/api/workshops/{workshop_id}/report.{fmt}?exp={expires}&sig={signature(key_hash, workshop_id, fmt, expires)}"
            for fmt in FORMATS
        },
        expires,
    )


def valid(key_hashes: list[str], workshop_id: str, fmt: str, expires: int, sig: str, now: float) -> bool:
    if expires < now or expires > now + LINK_SECONDS + 60:
        return False
    return any(hmac.compare_digest(signature(k, workshop_id, fmt, expires), sig) for k in key_hashes)

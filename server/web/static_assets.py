"""The front ends' static files: fingerprinted URLs cached for good, gzip compressed once per file.

``/static/<version>/client/phone.js`` (what pages link, server/web/assets.py) is answered with
``Cache-Control: public, max-age=31536000, immutable`` when ``<version>`` is this process's: the same URL never
means other bytes, so a phone keeps the file until the next deploy and a reload asks for nothing. A version
that is not this process's (a page from a worker of another deploy) and plain ``/static/client/phone.js`` are
answered with ``no-cache`` and an ETag: revalidated, never stale.

Text files are gzipped at the highest level once, when first asked for, and kept in memory (the whole of both
front ends is well under a megabyte): no CPU per request. The socket.io transport never passes through here.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from .assets import FRONT_ENDS, VERSION_LENGTH, asset_version, static_dir

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_VERSION = re.compile(rf"[0-9a-f]{{{VERSION_LENGTH}}}")
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
COMPRESSIBLE = ("text/", "image/svg+xml", "application/json")
TEXT_DEFAULT = "text/plain; charset=utf-8"  # LICENSE files


@dataclass(frozen=True)
class Asset:
    mtime_ns: int
    size: int
    body: bytes
    gzipped: bytes | None  # None when gzip would not make it smaller
    etag: str
    media_type: str


def gzip_level_9(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=9, mtime=0)


def _load(path: Path, mtime_ns: int, size: int) -> Asset:
    body = path.read_bytes()
    media_type = MEDIA_TYPES.get(path.suffix.lower(), TEXT_DEFAULT if not path.suffix else "application/octet-stream")
    gzipped = gzip_level_9(body) if media_type.startswith(COMPRESSIBLE) else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    return Asset(mtime_ns, size, body, gzipped, hashlib.sha256(body).hexdigest()[:20], media_type)


class StaticAssets:
    """One per app: the files read and compressed so far, re-read when one changes on disk."""

    def __init__(self):
        self._assets: dict[Path, Asset] = {}

    def find(self, front_end: str, relative: str) -> Path | None:
        if front_end not in FRONT_ENDS or not relative:
            return None
        parts = relative.split("/")
        if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            return None
        root = static_dir(front_end).resolve()
        path = root.joinpath(*parts).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path

    def asset(self, path: Path) -> Asset:
        stat = path.stat()
        known = self._assets.get(path)
        if known is None or (known.mtime_ns, known.size) != (stat.st_mtime_ns, stat.st_size):
            known = self._assets[path] = _load(path, stat.st_mtime_ns, stat.st_size)
        return known

    async def serve(self, request: Request) -> Response:
        parts = request.path_params["path"].split("/", 1)
        cache_control = REVALIDATE
        if _VERSION.fullmatch(parts[0]) and len(parts) == 2:
            if parts[0] == asset_version():
                cache_control = IMMUTABLE
            parts = parts[1].split("/", 1)
        path = self.find(parts[0], parts[1]) if len(parts) == 2 else None
        if path is None:
            return PlainTextResponse("Not Found", status_code=404)
        asset = self.asset(path)
        gzip_ok = asset.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding", ""))
        etag = f'"{asset.etag}-gz"' if gzip_ok else f'"{asset.etag}"'
        headers = {"cache-control": cache_control, "etag": etag}
        if asset.gzipped is not None:
            headers["vary"] = "Accept-Encoding"
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        if gzip_ok:
            headers["content-encoding"] = "gzip"
        # (HEAD: the server sends the headers only.)
        return Response(asset.gzipped if gzip_ok else asset.body, headers=headers, media_type=asset.media_type)


def accepts_gzip(accept_encoding: str) -> bool:
    """``gzip`` in Accept-Encoding, unless refused with ``q=0``."""
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return not params.strip() or float(q) > 0
            except ValueError:
                return True
    return False


# Pages, JSON answers and text reports are made per request: gzip at a middle level (most of the saving for a
# fraction of level 9's CPU); Starlette compresses bodies over 128 KiB in a thread. Static files come
# compressed already (their content-encoding is set, so this leaves them alone); Office files and PDFs are
# compressed inside. socket.io wraps Starlette (server/app.py), so its polling transport never passes here.
PAGE_GZIP_LEVEL = 6
PAGE_GZIP_MINIMUM = 1024
ALREADY_COMPRESSED = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "application/pdf",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def compression() -> Middleware:
    return Middleware(
        GZipMiddleware,
        minimum_size=PAGE_GZIP_MINIMUM,
        compresslevel=PAGE_GZIP_LEVEL,
        exclude_content_types=ALREADY_COMPRESSED,
    )

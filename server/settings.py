"""Configuration from environment variables, read once at start-up.

Every setting has a default that runs the embedded single-process app: SQLite under ``var/``, in-process
broadcast, both socket.io transports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/thrive.db"


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept the URLs hosting platforms hand out and pick the async driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    # Several workers cannot share long-polling sessions without sticky routing, so scale-out runs
    # websocket-only; a single process keeps the polling fallback for venues whose proxies block websockets.
    websocket_only: bool = False
    public_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    log_level: str = "info"
    # How often the scheduler looks for timers that ran out (only matters when a segment locks at zero).
    scheduler_interval: float = 1.0
    # How often each worker records that it is alive; the presence rows of a worker silent for three beats
    # are swept by the others (services.presence).
    heartbeat_interval: float = 5.0
    max_text: int = 2000

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        redis_url = env.get("REDIS_URL") or None
        origins = tuple(o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip())
        return cls(
            database_url=normalise_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            redis_url=redis_url,
            websocket_only=_bool(env.get("WEBSOCKET_ONLY"), default=redis_url is not None),
            public_url=(env.get("PUBLIC_URL") or None),
            allowed_origins=origins,
            log_level=env.get("LOG_LEVEL", "info"),
            scheduler_interval=float(env.get("SCHEDULER_INTERVAL", "1.0")),
            heartbeat_interval=float(env.get("HEARTBEAT_INTERVAL", "5.0")),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or ":memory:" in self.database_url:
            return None
        return Path(self.database_url.split(":///", 1)[1])

    @property
    def transports(self) -> list[str]:
        return ["websocket"] if self.websocket_only else ["polling", "websocket"]

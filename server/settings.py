"""Configuration from environment variables, read once at start-up.

Every setting has a default that runs the embedded single-process app: SQLite under ``var/``, in-process
broadcast, both socket.io transports.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/thrive.db"
DEFAULT_TIME_ZONE = "Europe/London"


def time_zone_setting() -> zoneinfo.ZoneInfo:
    """The time zone the workshop's dates are in (the report's dates, "today" for overdue actions):
    ``TIME_ZONE`` (default Europe/London)."""
    name = os.environ.get("TIME_ZONE", "").strip() or DEFAULT_TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)


def local_date(ts: float, zone: dt.tzinfo | None = None) -> dt.date:
    """The date of a moment in the workshop's time zone."""
    return dt.datetime.fromtimestamp(ts, zone or time_zone_setting()).date()


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
    # The pub/sub channel the workers of one deployment share (channels are global to a Redis server).
    redis_channel: str = "socketio"
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
    # Presence counts go to the console and projector at most this often (seconds) per worker.
    presence_publish_delay: float = 0.25
    # How often a serving process gives the memory its allocator holds free back to the system (0: never;
    # process_tuning).
    memory_trim_interval: float = 30.0
    max_text: int = 2000
    limits: Limits = field(default_factory=lambda: Limits())  # rates, caps and sizes (below)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        redis_url = env.get("REDIS_URL") or None
        origins = tuple(o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip())
        return cls(
            database_url=normalise_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            redis_url=redis_url,
            redis_channel=env.get("REDIS_CHANNEL") or "socketio",
            websocket_only=_bool(env.get("WEBSOCKET_ONLY"), default=redis_url is not None),
            public_url=(env.get("PUBLIC_URL") or None),
            allowed_origins=origins,
            log_level=env.get("LOG_LEVEL", "info"),
            scheduler_interval=float(env.get("SCHEDULER_INTERVAL", "1.0")),
            heartbeat_interval=float(env.get("HEARTBEAT_INTERVAL", "5.0")),
            presence_publish_delay=float(env.get("PRESENCE_PUBLISH_DELAY", "0.25")),
            memory_trim_interval=float(env.get("MEMORY_TRIM_INTERVAL", "30")),
            max_text=int(env.get("MAX_TEXT", "2000")),
            limits=Limits.from_env(env),
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


@dataclass(frozen=True)
class Limits:
    """What one client, address or workshop may use (docs/protocol.md, "Limits"; services.limits).

    The defaults fit a real room: 80 and more phones, often behind one venue NAT address, tapping in bursts.
    Each is the environment variable of the same name in upper case; 0 switches that limit off.
    """

    max_message_bytes: int = 64 * 1024  # one socket.io event's payload, as JSON
    events_per_second: float = 20.0  # per connection, sustained ...
    events_burst: int = 60  # ... and in a burst
    events_per_second_per_ip: float = 300.0
    events_burst_per_ip: int = 600
    connects_per_second_per_ip: float = 20.0
    connects_burst_per_ip: int = 300
    joins_per_second_per_ip: float = 10.0  # HTTP: join-code look-ups (pages, QR codes) and joins
    joins_burst_per_ip: int = 400
    # Wrong facilitator passwords (socket and HTTP together), per address and per workshop: a burst, then a
    # steady trickle. With REDIS_URL these and the join limits hold across workers (services.guesses).
    password_guesses_burst_per_ip: int = 10
    password_guesses_per_minute_per_ip: float = 10.0
    password_guesses_burst_per_workshop: int = 20
    password_guesses_per_minute_per_workshop: float = 20.0
    max_connections_per_workshop: int = 500  # the facilitator's own link is never turned away
    max_connections_per_table: int = 40
    workshops_per_ip_per_hour: int = 20
    # Files and exports from outside are parsed in child processes (server.untrusted): each child's address
    # space and CPU time, its wall time for one job, children at once per serving process, and per address.
    parser_memory_mb: int = 512
    parser_cpu_seconds: float = 5.0
    parser_seconds: float = 8.0
    parsers_at_once: int = 2
    parsers_per_address: int = 1
    # Keys the one-hour pseudonymous count of workshops created per address. Give every worker the same value;
    # unset, each process draws a random key (its counts are then its own, and forgotten on restart).
    secret_key: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Limits:
        values: dict[str, object] = {}
        for name, spec in cls.__dataclass_fields__.items():
            raw = env.get(name.upper())
            if raw is None or raw == "":
                continue
            kind = type(spec.default) if spec.default is not None else str
            values[name] = kind(raw)
        return cls(**values)

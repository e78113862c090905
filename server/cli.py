"""``thrive-workshop``: migrate the database, serve the app, or run the demo."""

from __future__ import annotations

import argparse
import os
import sys

from .settings import Settings

# How uvicorn serves the app, wherever it is started (``serve``, the demo, the Procfile, the benchmark).
# permessage-deflate off: every browser asks for it, and uvicorn keeps a compressor and a decompressor per
# connection (~50 KB) and compresses each message once per recipient. Measured with 1,000 phones that asked for
# it: +54 MB resident and +0.3 ms of CPU per command, to save little on messages of a few hundred bytes
# (docs/performance.md).
SERVER_OPTIONS = {"ws_per_message_deflate": False}


def server_flags() -> list[str]:
    """``SERVER_OPTIONS`` as uvicorn's command-line flags (the Procfile carries the same; a test checks)."""
    return [f"--{name.replace('_', '-')}={str(value).lower()}" for name, value in SERVER_OPTIONS.items()]


def reach_notice(host: str, port: int, public_url: str | None, lan: list[str] | None = None) -> str:
    """What ``serve`` says about the address phones will use (issue 14, item 11): phones can't open a loopback
    link, so without ``PUBLIC_URL`` it names the laptop's network address and how to listen on it."""
    from . import reach

    if public_url:
        note = f"  Phones join at {public_url.rstrip('/')}/j/<code> (PUBLIC_URL)."
        if reach.is_loopback_url(public_url):
            note += " Warning: that is this machine's own address, which phones in the room can't open."
        return note + "\n"
    origins = reach.lan_origins(reach.lan_addresses() if lan is None else lan, "http", port)
    if host in ("0.0.0.0", "::", ""):
        if not origins:
            return "  For phones in the room, open the app at this machine's network address (its IP on the Wi-Fi).\n"
        return f"  For phones in the room, open it at {origins[0]}/new (the join link and QR code follow that address).\n"
    if reach.is_loopback_host(host):
        where = f" at {origins[0]}/new" if origins else " at this machine's network address"
        return (
            f"  Warning: only this machine can open {host}. Phones in the room can't join.\n"
            f"  Restart with HOST=0.0.0.0 make run and open it{where}, or set PUBLIC_URL to the app's own address.\n"
        )
    return ""


def _migrate(settings: Settings) -> None:
    from .db import migrate

    migrate(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="thrive-workshop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate the database, then serve the app")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--no-migrate", action="store_true", help="skip migrating (a release step did it)")
    sub.add_parser("migrate", help="create or upgrade the database schema")
    args = parser.parse_args(argv)
    settings = Settings.from_env()

    if args.command == "migrate":
        _migrate(settings)
        print("Database is up to date.")
        return 0
    if args.command == "serve":
        import uvicorn

        if not args.no_migrate:
            _migrate(settings)
        shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        print(
            f"\n  Thrive Workshop is running. Start a workshop at: http://{shown_host}:{args.port}/new\n",
            flush=True,
        )
        print(reach_notice(args.host, args.port, settings.public_url), flush=True)
        uvicorn.run(
            "server.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            proxy_headers=True,
            log_level=settings.log_level,
            **SERVER_OPTIONS,
        )
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())

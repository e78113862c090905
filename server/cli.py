"""``thrive-workshop``: migrate the database, serve the app, or run the demo."""

from __future__ import annotations

import argparse
import os
import sys

from .settings import Settings


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
        uvicorn.run(
            "server.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            proxy_headers=True,
            log_level=settings.log_level,
        )
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())

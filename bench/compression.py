"""What compression costs the server: ``python -m bench.compression``.

Static files are gzipped once per process at level 9 (server/web/static_assets.py); pages and JSON answers are
gzipped per request at level 6 by Starlette's GZipMiddleware. This prints the CPU time of each, and what a
phone's first load weighs before and after, so the figures in docs/performance.md can be checked."""

from __future__ import annotations

import argparse
import gzip
import time

from server.catalogue import default_principles
from server.web.assets import FRONT_ENDS, static_dir
from server.web.static_assets import PAGE_GZIP_LEVEL, gzip_level_9

# What the phone loads before its Exercise 1 screen (tests/e2e/test_first_load.py measures it in Chromium).
PHONE_FILES = [
    "client/vendor/socket.io.min.js", "client/phone.js", "client/common/live.js", "client/principle-picker.js",
    "client/phone.css", "client/common/base.css", "client/phone-scoring.js", "client/table-news.js",
    "client/worksheet-loader.js",
]


def cpu(fn, repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=20, help="repetitions of each measurement")
    args = parser.parse_args()
    files = [p for fe in FRONT_ENDS for p in static_dir(fe).rglob("*") if p.is_file() and p.suffix in (".js", ".mjs", ".css")]
    bodies = [p.read_bytes() for p in files]
    raw = sum(map(len, bodies))
    zipped = sum(len(gzip_level_9(b)) for b in bodies)
    once = cpu(lambda: [gzip_level_9(b) for b in bodies], args.n)
    print(f"static text files: {len(files)}, {raw / 1024:.0f} KiB -> {zipped / 1024:.0f} KiB gzipped (level 9)")
    print(f"  compressing them all, once per process: {once * 1000:.1f} ms CPU")
    phone = [(static_dir(f.split('/', 1)[0]) / f.split("/", 1)[1]).read_bytes() for f in PHONE_FILES]
    print(f"phone's static files: {sum(map(len, phone)) / 1024:.0f} KiB -> "
          f"{sum(len(gzip_level_9(b)) for b in phone) / 1024:.0f} KiB gzipped")
    import json

    catalogue = json.dumps({"principles": default_principles()}).encode()
    page = (static_dir("client").parent / "templates" / "phone.html").read_bytes()
    for name, body in (("the phone's page (template)", page), ("GET /api/catalogue/default", catalogue)):
        per = cpu(lambda body=body: gzip.compress(body, compresslevel=PAGE_GZIP_LEVEL), args.n * 10)
        size = len(gzip.compress(body, compresslevel=PAGE_GZIP_LEVEL))
        print(f"{name}: {len(body) / 1024:.1f} KiB -> {size / 1024:.1f} KiB, {per * 1e6:.0f} µs CPU per request")


if __name__ == "__main__":
    main()

"""``thrive-workshop``: how uvicorn serves the app is the same wherever it is started (``SERVER_OPTIONS``)."""

from __future__ import annotations

import aiohttp
import uvicorn

from server.cli import SERVER_OPTIONS, server_flags
from tests.live import ROOT, LiveServer, migrate


def test_the_procfile_serves_with_the_same_uvicorn_options():
    [web] = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")]
    assert set(server_flags()) <= set(web.split())


def test_uvicorn_reads_the_flags_as_the_options():
    context = uvicorn.main.make_context("uvicorn", ["server.app:create_app", *server_flags()])
    assert {name: context.params[name] for name in SERVER_OPTIONS} == SERVER_OPTIONS


async def test_a_browser_asking_for_compression_gets_plain_websocket_messages(tmp_path):
    # Every browser offers permessage-deflate; the server must decline it (the reason is in server/cli.py).
    url = f"sqlite+aiosqlite:///{tmp_path}/thrive.db"
    migrate(url)
    server = LiveServer(url).start(tmp_path)
    try:
        async with aiohttp.ClientSession() as http:
            ws_url = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
            async with http.ws_connect(ws_url, compress=15) as ws:
                opened = await ws.receive_str(timeout=10)
                assert opened.startswith("0{")  # engine.io's OPEN: the handshake went through
                assert ws.compress == 0  # nothing negotiated
    finally:
        server.stop()

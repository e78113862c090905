"""Gap-analysis worksheets through a real server process and real socket.io clients, with real Yjs updates
(pycrdt): concurrent typing in one cell, a phone that was offline, and a kill -9 in the middle."""

from __future__ import annotations

import asyncio

import pytest

from server.domain import worksheet as w
from tests.live import eventually
from tests.realtime.conftest import open_room

pytestmark = pytest.mark.asyncio

OFFLINE_WORDS = 8  # typed by each phone while the server is down, at most
FIVE = ["needs-led", "accessibility", "common-language", "partnership-working", "outcome-informed"]


async def confirm(room, facilitator) -> None:
    phone = await room.phone(0)
    table = room.table_ids[0]
    assert (await phone.call("ranking.edit", {"base_revision": 0, "op": "replace", "items": FIVE}))["ok"]
    assert (await phone.call("ranking.agree", {"base_revision": 1}))["ok"]
    await eventually(lambda: facilitator.state["consensus"]["agreed_tables"] == 1)
    assert (await facilitator.call("consensus.confirm", {"items": FIVE}))["ok"]
    await eventually(lambda: len(facilitator.state["worksheets"]) == 5 * (len(room.table_ids) + 1))
    await phone.close()
    assert table


def sheet_id(client, priority: str, table_id: str | None) -> str:
    [found] = [
        s["id"] for s in client.state["worksheets"].values() if s["priority_id"] == priority and s["table_id"] == table_id
    ]
    return found


def local_gaps(client, worksheet_id: str) -> str:
    return client.worksheet_texts(worksheet_id)["gaps"]


async def test_phones_typing_in_one_cell_at_once_all_keep_their_text(shared_server):
    room = await open_room(shared_server, table_count=2)
    try:
        facilitator = await room.facilitator()
        projector = await room.projector()
        await confirm(room, facilitator)
        a, b, other = await room.phone(1), await room.phone(1), await room.phone(0)
        await eventually(lambda: all(len(c.state["worksheets"]) == 10 for c in (a, b, other)))
        sid = sheet_id(a, "accessibility", room.table_ids[1])
        assert sid not in other.state["worksheets"]  # another table's worksheet is not sent to this phone

        async def type_words(client, prefix: str, count: int):
            for i in range(count):
                ack = await client.edit_cell(sid, "gaps", local_gaps(client, sid) + f" {prefix}{i}")
                assert ack["ok"], ack

        await asyncio.gather(type_words(a, "alpha", 12), type_words(b, "beta", 12))
        words = {f"alpha{i}" for i in range(12)} | {f"beta{i}" for i in range(12)}

        def everyone_has_every_word():
            texts = [local_gaps(a, sid), local_gaps(b, sid), facilitator.state["worksheets"][sid]["text"]["gaps"],
                     projector.state["worksheets"][sid]["text"]["gaps"]]
            return all(words <= set(t.split()) for t in texts) and len(set(texts)) == 1

        await eventually(everyone_has_every_word)
        # The phones' own Yjs documents converged to the server's.
        fresh = await a.sync()
        assert w.texts_of(w.b64decode(fresh["worksheets"][sid]["state"], limit=1 << 30))["gaps"] == local_gaps(b, sid)
    finally:
        await room.close()


async def test_an_offline_phones_edits_merge_when_it_comes_back(shared_server):
    room = await open_room(shared_server, table_count=1)
    try:
        facilitator = await room.facilitator()
        await confirm(room, facilitator)
        online, offline = await room.phone(0), await room.phone(0)
        await eventually(lambda: len(offline.state["worksheets"]) == 10)
        sid = sheet_id(offline, "needs-led", room.table_ids[0])
        offline.flush_on_reconnect = False  # first check that the edits were really only local
        await offline.close()
        assert await offline.edit_cell(sid, "gaps", "Written on the bus with no signal.") is None
        assert await offline.edit_cell(sid, "training", "Autism awareness") is None
        assert (await online.edit_cell(sid, "gaps", "Said in the room."))["ok"]
        await eventually(lambda: "Said in the room." in facilitator.state["worksheets"][sid]["text"]["gaps"])
        assert "Written on the bus" not in facilitator.state["worksheets"][sid]["text"]["gaps"]

        offline.flush_on_reconnect = True
        await offline.connect()  # snapshot, then the unsaved edits go out by themselves

        def merged(text: dict) -> bool:
            return ("Written on the bus with no signal." in text["gaps"] and "Said in the room." in text["gaps"]
                    and text["training"] == "Autism awareness")

        await eventually(lambda: merged(facilitator.state["worksheets"][sid]["text"]))
        await eventually(lambda: merged(online.worksheet_texts(sid)) and merged(offline.worksheet_texts(sid)))
        assert not offline.unsaved
    finally:
        await room.close()


async def test_a_restart_in_the_middle_of_the_gap_analysis_loses_nothing_seen_saved(fresh_server):
    room = await open_room(fresh_server, table_count=2)
    facilitator = await room.facilitator()
    await confirm(room, facilitator)
    phones = [await room.phone(0), await room.phone(0), await room.phone(1)]
    for phone in phones:
        await eventually(lambda p=phone: len(p.state["worksheets"]) == 10)
    sheets = [sheet_id(p, "common-language", p.state["me"]["table_id"]) for p in phones]
    saved: set[str] = set()  # words some phone was told were saved
    typed: set[str] = set()
    stop = asyncio.Event()

    async def keep_typing(index: int):
        phone, sid = phones[index], sheets[index]
        i = unsaved_words = 0
        while not stop.is_set():
            # Offline, a few words and then a pause until the connection is back. Typing on for as long as the
            # server happens to be down (10 s and more) could pass the cell's 4,000 characters, and the server
            # would then refuse every edit, rightly.
            if phone.sio.connected or unsaved_words < OFFLINE_WORDS:
                word = f"p{index}w{i}"
                i += 1
                typed.add(word)
                text = local_gaps(phone, sid) + " " + word
                try:
                    ack = await phone.edit_cell(sid, "gaps", text)
                except Exception:  # the server went away mid-call: the edit stays unsaved, and is sent later
                    ack = None
                if ack and ack.get("ok"):
                    saved.update(text.split())
                    unsaved_words = 0
                else:
                    unsaved_words += 1
            await asyncio.sleep(0.02)

    typists = [asyncio.create_task(keep_typing(i)) for i in range(len(phones))]
    await eventually(lambda: len(saved) >= 15)

    def each_phone(words: set[str], since: set[str], at_least: int = 1) -> bool:
        """Each phone has at least ``at_least`` of ``words`` that are not in ``since``."""
        new = words - since
        return all(sum(w.startswith(f"p{i}w") for w in new) >= at_least for i in range(len(phones)))

    fresh_server.kill()
    saved_at_kill, typed_at_kill = set(saved), set(typed)
    # They type on while the server is down (once the call in flight at the kill has timed out, in 10 s).
    await eventually(lambda: each_phone(typed, typed_at_kill, 3), timeout=60)
    fresh_server.start()
    # Every client reconnects by itself, each on its own schedule (retries up to 1.5 s apart): the facilitator
    # may come back after all the phones have, so wait for it too before asking it for the server's state.
    await eventually(lambda: all(c.sio.connected and c.snapshots >= 2 for c in (*phones, facilitator)))
    typed_at_return = set(typed)
    await eventually(lambda: each_phone(saved, typed_at_return))  # and on, saved, once it is back
    stop.set()
    await asyncio.gather(*typists)
    for phone in phones:
        await phone.save_worksheets()
    try:
        fresh = await facilitator.sync()

        def server_words() -> set[str]:
            return {word for sid in set(sheets) for word in fresh["worksheets"][sid]["text"]["gaps"].split()}

        assert saved_at_kill <= server_words(), saved_at_kill - server_words()
        await eventually(lambda: (fresh.update(facilitator.state) or True) and typed <= server_words())
    finally:
        await room.close()

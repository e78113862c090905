"""Issue 13's hostile uploads and imports (findings 1, 2, 3, 6 and 7) against a real server process on its default
limits, each attack file made here: each is refused with a clear code, nothing is stored, and all the while a
live workshop on the same server answers a phone's ``ranking.edit`` and the serving process stays under 300 MB.

The time a command took and the resident memory are printed (``pytest -s``), never asserted on time: the machine
running the tests may be busy. Memory is asserted: what the serving process holds does not depend on the load.
"""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from bench.attack import COMMAND_TIMEOUT, Answer, LiveWorkshop, new_address, rss_mb
from bench.attack import send as send_to
from bench.attack import while_attacked as attacked
from tests.live import LiveServer, migrate
from tests.untrusted import attacks

pytestmark = pytest.mark.asyncio

RSS_LIMIT_MB = 300


def start_server(folder, env: dict | None = None) -> LiveServer:
    path = folder / "thrive.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(url)
    live = LiveServer(url, env=env).start(folder, wait=False).wait_ready(timeout=120)  # a busy machine
    live.db_path = path
    return live


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("attacks"))
    yield live
    live.stop()


def workshops_stored(server: LiveServer) -> int:
    with sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True) as db:
        return db.execute("SELECT count(*) FROM workshop").fetchone()[0]


@pytest.fixture
async def workshop(server):
    live = await LiveWorkshop(server.url).open()
    yield live
    await live.close()


async def while_attacked(server: LiveServer, workshop: LiveWorkshop, what: str, *attacks_to_run) -> list:
    """The attacks' answers; meanwhile the live workshop answered every command (bench.attack.while_attacked
    checks each ack) and the serving process stayed under 300 MB."""
    answers, figures = await attacked(workshop, server.process.pid, what, *attacks_to_run)
    print(f"\n{figures}")
    for answer in answers:
        show(answer if isinstance(answer, list) else [answer])
    assert figures.latencies, "the live workshop answered no command during the attack"
    assert max(figures.rss) < RSS_LIMIT_MB, f"the serving process reached {max(figures.rss):.0f} MB"
    return answers


async def send(server: LiveServer, name: str, path: str, request: dict, address: str | None = None) -> Answer:
    return await send_to(server.url, name, path, request, address)


async def upload(server: LiveServer, name: str, data: bytes, address: str | None = None) -> Answer:
    return await send(server, name, "/api/catalogue/preview", {"files": {"file": (name, data)}}, address)


def show(answers: list[Answer]) -> None:
    for answer in answers:
        print(f"  {answer}")


def refused_with(answer: Answer, status: int, code: str) -> None:
    assert (answer.status, answer.code) == (status, code), f"{answer}: {answer.body}"
    assert answer.error.get("message"), answer.body


# --- findings 1 and 3: a cell spanning 2^31 columns, entities after padding or in UTF-16; and a zip bomb -------


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("span_bomb.docx", 422, "too_many_columns"),
        ("laughs_after_padding.xlsx", 422, "unsafe_xml"),
        ("laughs_in_utf16.xlsx", 422, "unsafe_xml"),
        ("zip_bomb.docx", 413, "too_large"),
    ],
)
@pytest.mark.parametrize("endpoint", ["preview", "import"])
async def test_a_hostile_file_is_refused_with_what_was_wrong(server, workshop, endpoint, name, status, code):
    files = {"file": (name, attacks.ALL_FILES[name]())}
    if endpoint == "import":  # with a mapping, as the set-up page sends it after the preview
        files["mapping"] = (None, b'{"name": "Principle", "statement": "Statement"}')
    request = send(server, name, f"/api/catalogue/{endpoint}", {"files": files})
    [answer] = await while_attacked(server, workshop, f"{name} to {endpoint}", request)
    refused_with(answer, status, code)


# --- finding 2: small .docx files that unpack to a flood of paragraphs -----------------------------------------


async def test_a_paragraph_flood_is_refused_or_read_within_the_limits(server, workshop):
    old, today = await while_attacked(
        server,
        workshop,
        "paragraph flood",
        upload(server, "old_flood.docx", attacks.old_paragraph_flood_docx()),
        upload(server, "flood.docx", attacks.paragraph_flood_docx()),
    )
    # The file: its XML is far past what a catalogue needs (counted as it unpacks: on a machine busy
    # enough, the child may reach its wall time first).
    assert (old.status, old.code) in ((413, "too_large"), (422, "too_complex")), f"{old}: {old.body}"
    assert old.error["message"]
    # At just under today's limit, a child may read it in time (its table of principles), or be stopped.
    read = today.status == 200 and today.body["rows"] == len(attacks.ITEMS)
    assert read or (today.status, today.code) == (422, "too_complex"), f"{today}: {today.body}"


async def test_eight_paragraph_floods_at_once_leave_the_server_serving(server, workshop):
    flood = attacks.paragraph_flood_docx()
    answers = await while_attacked(
        server, workshop, "8 floods at once", *(upload(server, f"flood{i}.docx", flood) for i in range(8))
    )
    for answer in answers:
        assert answer.status == 200 or answer.code in ("too_complex", "busy"), f"{answer}: {answer.body}"
        if answer.code == "busy":
            assert answer.status == 503 and answer.error["retry_after"] >= 1
    assert any(a.code == "busy" for a in answers)  # two children at once: the others are turned away


# --- finding 6: workshop imports no command would make ---------------------------------------------------------


async def test_hostile_workshop_imports_are_refused_with_the_field_and_nothing_is_stored(server, workshop):
    export = await workshop.export()
    assert export["rankings"] and export["principles"]
    before = workshops_stored(server)
    address = new_address()

    async def each_in_turn() -> list[Answer]:
        answers = []
        for name, (spoil, _field) in attacks.HOSTILE_IMPORTS.items():
            request = {"content": spoil(export), "headers": {"content-type": "application/json"}}
            answers.append(await send(server, name, "/api/workshops/import", request, address))
        for name, spoil in attacks.NOT_JSON_IMPORTS.items():
            request = {"content": spoil(export), "headers": {"content-type": "application/json"}}
            answers.append(await send(server, name, "/api/workshops/import", request, address))
        return answers

    [answers] = await while_attacked(server, workshop, "hostile imports", each_in_turn())
    by_name = {a.name: a for a in answers}
    for name, (_spoil, expected_field) in attacks.HOSTILE_IMPORTS.items():
        answer = by_name[name]
        refused_with(answer, 422, "invalid_payload")
        assert answer.error["field"] == expected_field and answer.error["detail"], answer.body
    for name in attacks.NOT_JSON_IMPORTS:
        refused_with(by_name[name], 400, "invalid_json")
    assert workshops_stored(server) == before

    # The export itself, unspoiled, is taken: what was refused was what the attacks changed.
    taken = await send(server, "export", "/api/workshops/import", {"json": export}, address)
    assert taken.status == 201, taken.body
    assert workshops_stored(server) == before + 1


# --- finding 7: JSON nested past any sense, on every JSON endpoint ---------------------------------------------

JSON_ENDPOINTS = [
    "/api/workshops",
    "/api/workshops/import",
    "/api/catalogue/preview",
    "/api/catalogue/import",
    "/api/catalogues",
    "/api/catalogue/export",
]


async def test_deeply_nested_json_is_invalid_json_on_every_endpoint(server, workshop):
    deep = {"content": attacks.deep_json(), "headers": {"content-type": "application/json"}}
    before = workshops_stored(server)
    answers = await while_attacked(
        server, workshop, "deep JSON", *(send(server, path, path, deep) for path in JSON_ENDPOINTS)
    )
    for answer in answers:
        refused_with(answer, 400, "invalid_json")
    assert workshops_stored(server) == before


# --- every attack, one at a time, then eight at once -----------------------------------------------------------

REFUSALS = {
    "span_bomb.docx": (422, "too_many_columns"),
    "laughs_after_padding.xlsx": (422, "unsafe_xml"),
    "laughs_in_utf16.xlsx": (422, "unsafe_xml"),
    "zip_bomb.docx": (413, "too_large"),
    "deep.json": (422, "broken_file"),  # a catalogue file, not a body: its own refusal
    "old_paragraph_flood.docx": (413, "too_large"),
    **{f"import:{name}": (422, "invalid_payload") for name in attacks.HOSTILE_IMPORTS},
    **{f"import:{name}": (400, "invalid_json") for name in attacks.NOT_JSON_IMPORTS},
}


def an_answer_under_load(answer: Answer) -> None:
    """A refusal that says what was wrong, or "not now" with when to try again; a file the server may read."""
    if answer.name in attacks.MAY_BE_READ and answer.status == 200:
        return
    if answer.code in ("busy", "rate_limited"):
        assert answer.status in (503, 429) and answer.error["retry_after"] >= 1, answer.body
        return
    if answer.code == "too_complex":  # a child stopped at a limit: the machine is busy
        assert answer.status == 422, answer.body
        return
    assert (answer.status, answer.code) == REFUSALS[answer.name], f"{answer}: {answer.body}"


async def test_every_attack_one_at_a_time_then_eight_at_once(server, workshop):
    every = attacks.every_attack(await workshop.export())
    assert {name for name, _path, _request in every} == set(REFUSALS) | attacks.MAY_BE_READ
    before = workshops_stored(server)
    address = new_address()

    async def one_at_a_time() -> list[Answer]:
        return [await send(server, name, path, request, address) for name, path, request in every]

    [singly] = await while_attacked(server, workshop, "every attack, one at a time", one_at_a_time())
    print(f"  one at a time: slowest {max(a.seconds for a in singly):.2f} s")
    for answer in singly:
        if answer.name in attacks.MAY_BE_READ:
            assert answer.status == 200 or answer.code == "too_complex", answer.body
        else:
            assert (answer.status, answer.code) == REFUSALS[answer.name], f"{answer}: {answer.body}"
            assert answer.error.get("message"), answer.body

    for label, addresses in (("8 addresses", None), ("one address", address)):
        batches = [every[i : i + 8] for i in range(0, len(every), 8)]
        for number, batch in enumerate(batches, 1):
            answers = await while_attacked(
                server,
                workshop,
                f"8 at once from {label}, batch {number}/{len(batches)}",
                *(send(server, name, path, request, addresses) for name, path, request in batch),
            )
            print(f"  slowest {max(a.seconds for a in answers):.2f} s")
            for answer in answers:
                an_answer_under_load(answer)

    assert workshops_stored(server) == before
    async with httpx.AsyncClient(base_url=server.url, timeout=COMMAND_TIMEOUT) as http:
        assert (await http.get("/readyz")).status_code == 200
    assert server.process.poll() is None
    print(f"  after: RSS {rss_mb(server.process.pid):.0f} MB")


# --- the largest export the import accepts: stored by the serving process, then reported ---------------------

REPORT_FORMATS = ("docx", "xlsx", "zip", "html", "json")


@pytest.fixture
def roomy_server(tmp_path):
    """A server whose parser children have time to spare even on a busy machine (the export's own checks take
    about a second of CPU), so that what is tested is what the serving process does with what they accept."""
    live = start_server(tmp_path, {"PARSER_SECONDS": "120", "PARSER_CPU_SECONDS": "60"})
    yield live
    live.stop()


@pytest.fixture
async def roomy_workshop(roomy_server):
    live = await LiveWorkshop(roomy_server.url).open()
    yield live
    await live.close()


async def test_the_largest_export_accepted_is_stored_and_reported_under_300_mb(roomy_server, roomy_workshop):
    server, workshop = roomy_server, roomy_workshop
    body = attacks.largest_export(await workshop.export())
    request = {"content": body, "headers": {"content-type": "application/json"}}
    [answer] = await while_attacked(
        server, workshop, f"the largest export ({len(body) / 1e6:.1f} MB)",
        send(server, "largest", "/api/workshops/import", request),
    )
    assert answer.status == 201, answer.body
    imported = answer.body
    # The Word report of 1,860 worksheets takes minutes of CPU on a busy machine: wait for it.
    bearer = {"headers": {"authorization": f"Bearer {imported['facilitator_token']}"}, "timeout": 900}
    path = f"/api/workshops/{imported['workshop']['id']}/report."
    reports = await while_attacked(
        server, workshop, "its five reports",
        *(send_to(server.url, fmt, path + fmt, bearer, method="GET") for fmt in REPORT_FORMATS),
    )
    assert [r.status for r in reports] == [200] * len(REPORT_FORMATS), [str(r) for r in reports]

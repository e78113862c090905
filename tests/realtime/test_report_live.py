"""The report over HTTP from a real server: signed links from `report.links`, the Bearer header, refusals,
and a JSON export imported as a new workshop."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import load_workbook

from tests.realtime.conftest import open_room
from tests.realtime.test_gap_live import confirm

pytestmark = pytest.mark.asyncio


async def test_report_downloads_and_import(shared_server):
    room = await open_room(shared_server, table_count=2, title="Northshire Phase 1", locality="Northshire")
    try:
        facilitator = await room.facilitator()
        await confirm(room, facilitator)
        assert (await facilitator.call("plan.add_action", {"action": "Map evening provision"}))["ok"]
        phone = await room.phone(0)
        assert (await phone.call("report.links"))["error"]["code"] == "forbidden"
        ack = await facilitator.call("report.links")
        assert ack["ok"] and set(ack["links"]) == {"docx", "xlsx", "zip", "json", "html"}
        workshop_id = room.created["workshop"]["id"]
        token = room.created["facilitator_token"]
        # Generous: exports and imports are built and parsed in child processes, slow on a busy machine.
        async with httpx.AsyncClient(base_url=shared_server.url, timeout=60) as http:
            bodies = {}
            for fmt, link in ack["links"].items():
                assert token not in link
                response = await http.get(link)
                assert response.status_code == 200, (fmt, response.text[:200])
                assert "attachment" in response.headers["content-disposition"]
                bodies[fmt] = response.content
            book = load_workbook(io.BytesIO(bodies["xlsx"]))
            assert book["Summary"]["B2"].value == "Northshire Phase 1"
            assert b"Map evening provision" in bodies["html"]
            assert "default-src 'none'" in (await http.get(ack["links"]["html"])).headers["content-security-policy"]

            # The Bearer header works too; nothing else does.
            url = f"/api/workshops/{workshop_id}/report.json"
            assert (await http.get(url, headers={"Authorization": f"Bearer {token}"})).status_code == 200
            for headers, query in [
                ({}, ""),
                ({"Authorization": f"Bearer {room.created['projector_token']}"}, ""),
                ({}, ack["links"]["docx"].split("?")[1].replace("sig=", "sig=0")),  # tampered
                ({}, ack["links"]["xlsx"].split("?")[1]),  # signed for another format
            ]:
                refused = await http.get(f"{url}?{query}" if query else url, headers=headers)
                assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
            assert (await http.get("/api/workshops/nope/report.json", headers={"Authorization": f"Bearer {token}"})).status_code == 401

            # Import the export: a new workshop, new links, the same content.
            exported = (await http.get(url, headers={"Authorization": f"Bearer {token}"})).json()
            created = await http.post("/api/workshops/import", json=exported)
            assert created.status_code == 201, created.text
            new = created.json()
            assert new["workshop"]["id"] != workshop_id and new["workshop"]["join_code"] != room.code
            again = (await http.get(f"/api/workshops/{new['workshop']['id']}/report.json",
                                    headers={"Authorization": f"Bearer {new['facilitator_token']}"})).json()
            for data in (exported, again):
                data.pop("exported_at")
                data["report"].pop("generated_at")
            assert again == exported
            bad = await http.post("/api/workshops/import", json={"format": "something-else"})
            assert bad.status_code == 422
    finally:
        await room.close()

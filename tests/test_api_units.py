"""The unit tree and bridge points over HTTP, and their CSV import/export."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import login


def test_units_by_level_and_parent(client: TestClient) -> None:
    h = login(client, "delegate01")
    districts = client.get("/api/units?level=district", headers=h).json()
    assert len([u for u in districts if u["kind"] == "administrative"]) == 11
    province = client.get("/api/units?level=province", headers=h).json()
    root = next(u for u in province if u["parent_id"] is None)
    children = client.get(f"/api/units?parent_id={root['id']}", headers=h).json()
    assert {u["name"] for u in children} >= {"UBND tỉnh Hà Giang", "HĐND tỉnh Hà Giang", "Huyện Mèo Vạc"}
    assert len(client.get("/api/units?level=commune", headers=h).json()) == 195
    r = client.get("/api/units?level=planet", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "level"]


def test_bridge_points_include_descendants(client: TestClient) -> None:
    h = login(client, "delegate01")
    everything = client.get("/api/bridge-points", headers=h).json()
    assert len(everything) == 241
    units = client.get("/api/units?level=district", headers=h).json()
    meo_vac = next(u for u in units if u["name"] == "Huyện Mèo Vạc")
    under = client.get(f"/api/bridge-points?unit_id={meo_vac['id']}", headers=h).json()
    assert len(under) == 18 + 2  # its communes, plus the district's two rooms
    communes = client.get(f"/api/bridge-points?unit_id={meo_vac['id']}&level=commune", headers=h).json()
    assert len(communes) == 18 and all(bp["link_quality"] == "poor" for bp in communes)
    assert client.get("/api/bridge-points?unit_id=99999", headers=h).status_code == 404


def test_csv_export_import_round_trip_and_rescoping(client: TestClient) -> None:
    admin = login(client, "admin")
    units_csv = client.get("/api/units/export.csv", headers=admin).text
    assert units_csv.splitlines()[0] == "code,name,level,kind,parent_code"
    # Re-importing the export changes nothing.
    r = client.post("/api/units/import", content=units_csv.encode(), headers=admin)
    assert r.status_code == 200 and r.json()["created"] == 0 and r.json()["updated"] == 252
    # A new commune with its bridge point under Mèo Vạc joins the 3-level conference's scope.
    r = client.post(
        "/api/units/import",
        headers=admin,
        content="code,name,level,kind,parent_code\nD11-X99,UBND xã Mới,commune,peoples_committee,D11\n",
    )
    assert r.status_code == 200 and r.json()["created"] == 1
    r = client.post(
        "/api/units/import",
        headers=admin,
        content=(
            "code,name,unit_code,address,capacity,equipment,link_quality\n"
            "BP-D11-X99,Điểm cầu xã Mới,D11-X99,Xã Mới,25,camera,poor\n"
        ).encode(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["meetings_rescoped"] == [1]
    meeting = client.get("/api/meetings/1", headers=admin).json()
    assert len(meeting["bridge_point_ids"]) == 242
    events = client.get("/api/meetings/1/events", headers=admin).json()
    assert events[-1]["kind"] == "meeting.scope_resolved" and len(events[-1]["payload"]["added"]) == 1


def test_csv_with_bad_rows_reports_each_and_stores_nothing(client: TestClient) -> None:
    admin = login(client, "admin")
    before = client.get("/api/units/export.csv", headers=admin).text
    bad = (
        "code,name,level,kind,parent_code\n"
        "N1,Good unit,commune,peoples_committee,D01\n"
        "N2,Bad level,planet,peoples_committee,D01\n"
        "N3,Orphan,commune,peoples_committee,NOPE\n"
        "N1,Duplicate,commune,peoples_committee,D01\n"
        "N4,Upside down,province,department,D01-X01\n"
    )
    r = client.post("/api/units/import", content=bad.encode(), headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"line": 3, "reason": "level 'planet' is not one of central, province, district, commune"},
        {"line": 5, "reason": "code 'N1' already on line 2"},
        {"line": 4, "reason": "parent_code 'NOPE' is neither in the file nor already stored"},
        {"line": 6, "reason": "a province unit cannot sit under a commune unit"},
    ]
    assert client.get("/api/units/export.csv", headers=admin).text == before


def test_only_admin_imports(client: TestClient) -> None:
    h = login(client, "secretary")
    r = client.post("/api/units/import", content=b"code,name,level,kind,parent_code\n", headers=h)
    assert r.status_code == 403

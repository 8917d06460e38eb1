"""Journey: on one meeting's screen the secretary adds participants found by name, changes a role (and, when
someone else saved the meeting meanwhile, sees it refused and applies it again on the latest version),
sends the invitations once the meeting is published and watches them sent, then read; picks an item's
presenter among the participants; and moves a document to another agenda item from the keyboard. Each step
is checked through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from meetings.invitations import State
from tests.browser.helpers import Contexts, open_page, shot
from tests.browser.test_strings import catalogue
from tests.docs_store.pdf_factory import text_pdf
from tests.servers import Server

WORK_MS = 60_000  # the server checks each PDF in a worker process: allow for a busy machine
REPORT = "Báo cáo kết quả thực hiện Chương trình mục tiêu quốc gia"
CONCLUSION = "Kết luận của Chủ tịch"


def _ok(reply: tuple[int, Any], status: int = 200) -> Any:
    assert reply[0] == status, reply
    return reply[1]


def _meeting(server: Server, token: str, mid: int) -> Any:
    return _ok(server.request("GET", f"/api/meetings/{mid}", token=token))


def _roles(server: Server, token: str, mid: int) -> dict[int, str]:
    return {p["person_id"]: p["role"] for p in _meeting(server, token, mid)["participants"]}


def _states(server: Server, token: str, mid: int) -> dict[int, str]:
    report = _ok(server.request("GET", f"/api/meetings/{mid}/invitations", token=token))
    return {p["person_id"]: p["state"] for p in report["participants"]}


def _add_person(page: Page, words: str, name: str, role: str) -> None:
    card = page.locator(".participants-card")
    card.get_by_label("Tìm theo tên, chức vụ hoặc đơn vị").fill(words)
    card.get_by_label("Vai trò khi thêm").select_option(label=role)
    card.get_by_role("button", name=f"Thêm {name} vào thành phần dự họp").click()
    expect(card.locator(".participant").filter(has_text=name)).to_be_visible()
    expect(card.get_by_role("status")).to_have_text(f"Đã thêm {name} ({role}).")


def test_every_invitation_state_has_words() -> None:
    words = catalogue()
    for state in State.__args__:
        assert f"invite.{state}" in words["vi"] and f"invite.{state}" in words["en"], state


def test_secretary_manages_participants_invitations_presenters_and_documents(
    server: Server, contexts: Contexts, tmp_path: Path
) -> None:
    token = server.login("secretary")
    me = _ok(server.request("GET", "/api/auth/me", token=token))
    chair = _ok(server.request("GET", "/api/auth/me", token=server.login("chair")))
    delegate_token = server.login("delegate01")
    delegate = _ok(server.request("GET", "/api/auth/me", token=delegate_token))
    operator = _ok(server.request("GET", "/api/auth/me", token=server.login("operator")))
    technicians = _ok(server.request("GET", "/api/people?q=ky%20thuat%20vien&limit=5", token=token))
    nobody = next(p for p in technicians if p["id"] != operator["person_id"])  # no account, no e-mail
    day = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%d")
    meeting = _ok(
        server.request(
            "POST",
            "/api/meetings",
            {"title": "Họp chuyên đề giảm nghèo bền vững", "host_unit_id": me["unit_id"],
             "start": f"{day}T14:00:00", "end": f"{day}T16:00:00",
             "participants": [{"person_id": me["person_id"], "role": "secretary"}]},
            token,
        ),
        201,
    )  # fmt: skip
    mid = meeting["id"]

    page = open_page(contexts, "secretary", f"/app/secretary?meeting={mid}")
    card = page.locator(".participants-card")
    expect(card.get_by_role("heading", name="Thành phần dự họp")).to_be_visible()
    expect(card.locator(".invite-summary")).to_have_text(
        "Cuộc họp chưa phát hành: giấy mời sẽ được gửi khi phát hành."
    )
    expect(card.locator(".participant")).to_have_count(1)

    # people found without accents, added with a role
    _add_person(page, "hoang van thang", chair["full_name"], "chủ trì")
    _add_person(page, delegate["full_name"].lower(), delegate["full_name"], "đại biểu")
    _add_person(page, nobody["full_name"], nobody["full_name"], "kỹ thuật viên")
    assert _roles(server, token, mid) == {
        me["person_id"]: "secretary",
        chair["person_id"]: "chair",
        delegate["person_id"]: "delegate",
        nobody["id"]: "operator",
    }

    # a role changed while someone else saved the meeting: refused, kept on screen, then applied again
    current = _meeting(server, token, mid)
    renamed = "Họp chuyên đề giảm nghèo bền vững (mở rộng)"
    _ok(
        server.request(
            "PATCH", f"/api/meetings/{mid}", {"version": current["version"], "title": renamed}, token
        )
    )
    card.get_by_label(f"Vai trò của {delegate['full_name']}").select_option(label="khách mời")
    problem = card.get_by_role("alert")
    expect(problem).to_contain_text("Cuộc họp vừa được người khác sửa")
    expect(problem.locator(".server-detail")).to_have_count(0)  # no "reload": the button applies it again
    row = card.locator(f".participant[data-person-id='{delegate['person_id']}']")
    expect(row).to_have_class("participant unsaved")
    expect(row.get_by_label(f"Vai trò của {delegate['full_name']}")).to_have_value("guest")
    assert _roles(server, token, mid)[delegate["person_id"]] == "delegate"  # nothing stored yet
    problem.get_by_role("button", name="Lưu thay đổi của tôi vào bản mới nhất").click()
    expect(problem).to_have_count(0)
    expect(card.get_by_role("status")).to_have_text("Đã lưu thay đổi của bạn vào bản mới nhất.")
    expect(row).to_have_class("participant")
    expect(page.get_by_role("heading", level=1)).to_have_text(renamed)  # the other's change shows too
    stored = _meeting(server, token, mid)
    assert stored["title"] == renamed and stored["version"] == current["version"] + 2
    assert {p["person_id"]: p["role"] for p in stored["participants"]}[delegate["person_id"]] == "guest"

    # published: the invitations are sent from here, then read
    _ok(server.request("POST", f"/api/meetings/{mid}/transitions", {"to": "scheduled"}, token))
    card.get_by_role("button", name="Cập nhật tình trạng giấy mời").click()
    expect(page.locator(".lead [data-status]")).to_have_text("Đã lên lịch")
    expect(card.locator(".invite-summary")).to_have_text("Giấy mời: 0 đã đọc, 0 đã gửi, 3 chưa nhận được.")
    expect(row.locator("[data-state]")).to_have_text("Chưa gửi giấy mời")
    unreachable = card.locator(f".participant[data-person-id='{nobody['id']}'] [data-state]")
    expect(unreachable).to_have_text("Không có tài khoản, email")
    card.get_by_role("button", name="Gửi lại giấy mời cho người chưa nhận").click()
    expect(card.locator(".invite-summary")).to_have_text("Giấy mời: 0 đã đọc, 3 đã gửi, 0 chưa nhận được.")
    expect(row.locator("[data-state]")).to_have_text("Đã gửi giấy mời")
    expect(row).to_contain_text("Trong ứng dụng: đã gửi")
    assert _states(server, token, mid) == {
        me["person_id"]: "sent",
        chair["person_id"]: "sent",
        delegate["person_id"]: "sent",
        nobody["id"]: "unreachable",
    }
    # the technician had no way to get it: removed again
    card.get_by_role("button", name=f"Bỏ {nobody['full_name']} khỏi thành phần dự họp").click()
    expect(card.get_by_role("status")).to_have_text(f"Đã bỏ {nobody['full_name']} khỏi thành phần dự họp.")
    expect(card.locator(".participant")).to_have_count(3)
    assert nobody["id"] not in _roles(server, token, mid)
    theirs = _ok(server.request("GET", "/api/notifications", token=delegate_token))["items"]
    invitation = next(n for n in theirs if n["kind"] == "invitation" and n["meeting_id"] == mid)
    _ok(server.request("POST", f"/api/notifications/{invitation['id']}/read", token=delegate_token))
    card.get_by_role("button", name="Cập nhật tình trạng giấy mời").click()
    expect(row.locator("[data-state]")).to_have_text("Đã đọc giấy mời")
    expect(card.locator(".invite-summary")).to_have_text("Giấy mời: 1 đã đọc, 2 đã gửi, 0 chưa nhận được.")
    assert _states(server, token, mid)[delegate["person_id"]] == "read"

    # the presenter picked among the participants (the printed name follows); another typed freely
    adder = page.locator(".agenda-add")
    adder.get_by_label("Nội dung").fill(REPORT)
    adder.get_by_label("Chọn trong thành phần dự họp").select_option(label=f"{chair['full_name']} · chủ trì")
    expect(adder.get_by_label("Người trình bày")).to_have_value(chair["full_name"])
    adder.get_by_role("button", name="Thêm vào chương trình").click()
    expect(page.locator(".agenda-item-title").last).to_have_text(REPORT)
    adder.get_by_label("Nội dung").fill(CONCLUSION)
    adder.get_by_label("Người trình bày").fill("Chủ tịch UBND tỉnh")
    adder.get_by_role("button", name="Thêm vào chương trình").click()
    expect(page.locator(".agenda-item-title")).to_have_text([REPORT, CONCLUSION])
    expect(page.locator(".agenda-item").first).to_contain_text(f"Trình bày: {chair['full_name']}")
    items = _ok(server.request("GET", f"/api/meetings/{mid}/agenda", token=token))
    assert [(i["presenter"], i["presenter_person_id"]) for i in items] == [
        (chair["full_name"], chair["person_id"]),
        ("Chủ tịch UBND tỉnh", None),
    ]

    # a document uploaded to the wrong item, moved to the other from the keyboard
    pdf = text_pdf(
        tmp_path / "ket-luan.pdf", ["Dự thảo kết luận của Chủ tịch UBND tỉnh."], title="Dự thảo kết luận"
    )
    first = page.locator(".agenda-item").first
    first.get_by_label(f"Tải tài liệu PDF lên mục «{REPORT}»").set_input_files(str(pdf))
    expect(first.locator(".doc-row")).to_have_count(1, timeout=WORK_MS)
    [doc] = _ok(server.request("GET", f"/api/meetings/{mid}/documents", token=token))
    move = first.get_by_label(f"Chọn mục để chuyển «{doc['title']}» sang")
    move.select_option(label=f"2. {CONCLUSION}")
    move.focus()
    page.keyboard.press("Tab")
    expect(first.get_by_role("button", name=f"Chuyển «{doc['title']}» sang mục đã chọn")).to_be_focused()
    page.keyboard.press("Enter")
    last = page.locator(".agenda-item").last
    expect(last.locator(f".doc-row[data-document-id='{doc['id']}']")).to_be_visible()
    expect(first.locator(".doc-row")).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="Đã chuyển")).to_have_text(
        f"Đã chuyển «{doc['title']}» sang mục «{CONCLUSION}»."
    )
    expect(last.get_by_label(f"Chọn mục để chuyển «{doc['title']}» sang")).to_be_focused()  # focus follows it
    shot(page, "secretary-participants")

    moved = _ok(server.request("GET", f"/api/documents/{doc['id']}", token=token))
    assert moved["agenda_item_id"] == items[1]["id"]
    agenda = _ok(server.request("GET", f"/api/meetings/{mid}/agenda", token=token))
    assert [[d["id"] for d in i["documents"]] for i in agenda] == [[], [doc["id"]]]

"""Journey: a delegate's tablet loses the network, checks in and votes anyway, sees "not yet sent", comes
back online, and both commands are acknowledged and stored — once each."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.helpers import Api, Contexts, shot

MEETING = 1


def test_commands_made_offline_are_sent_on_reconnect_and_stored_once(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    chair = as_user("chair")
    chair.command(MEETING, type="start")
    poll_id = chair.command(MEETING, type="poll_open", question="Thông qua chương trình kỳ họp?")["seq"]
    delegate = as_user("delegate03")
    person = str(delegate.get("/api/auth/me")["person_id"])

    ctx = contexts("delegate03")
    page = ctx.new_page()
    page.goto(f"/app/tablet/{MEETING}")
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    expect(page.get_by_role("button", name="Tán thành", exact=True)).to_be_enabled()

    ctx.set_offline(True)
    expect(page.locator(".conn")).to_have_text("Mất mạng")
    page.get_by_role("button", name="Điểm danh", exact=True).click()
    page.get_by_role("button", name="Tán thành", exact=True).click()
    expect(page.locator(".outbox")).to_have_text("2 thao tác chưa gửi. Sẽ tự gửi khi có mạng trở lại.")
    expect(page.locator(".pending")).to_have_count(2)
    expect(page.get_by_role("button", name="Tán thành", exact=True)).to_have_attribute("aria-pressed", "true")
    stored = delegate.get(f"/api/meetings/{MEETING}/live")["state"]
    assert person not in stored["checked_in"] and not stored["polls"][str(poll_id)]["ballots"]
    shot(page, "tablet-offline-not-yet-sent")

    ctx.set_offline(False)
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    expect(page.get_by_test_id("checked-in")).to_contain_text("Đã điểm danh lúc")
    expect(page.get_by_test_id("vote-stored")).to_have_text("✓Đã ghi nhận: Tán thành")
    expect(page.locator(".outbox")).to_be_hidden()
    expect(page.locator(".pending")).to_have_count(0)
    shot(page, "tablet-back-online-sent")

    stored = delegate.get(f"/api/meetings/{MEETING}/live")["state"]
    assert person in stored["checked_in"]
    assert stored["polls"][str(poll_id)]["ballots"] == {person: "for"}
    events = delegate.get(f"/api/meetings/{MEETING}/events?since=0")
    mine = [e for e in events if str(e["payload"].get("person_id")) == person]
    assert [e["kind"] for e in mine] == ["live.checkin", "poll.ballot"]
    assert page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('cauhop.outbox'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).length)"
    ) == [0]


def test_a_vote_sent_after_the_poll_closed_is_refused_in_the_pages_language(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    """The tablet votes while offline; the chair closes the poll meanwhile. Back online, the vote is refused,
    and the delegate reads why in Vietnamese, not the server's English words; nothing is stored."""
    chair = as_user("chair")
    chair.command(MEETING, type="start")
    poll_id = chair.command(MEETING, type="poll_open", question="Thông qua chương trình kỳ họp?")["seq"]
    ctx = contexts("delegate04")
    page = ctx.new_page()
    page.goto(f"/app/tablet/{MEETING}")
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    expect(page.get_by_role("button", name="Tán thành", exact=True)).to_be_enabled()  # the snapshot is in

    ctx.set_offline(True)
    expect(page.locator(".conn")).to_have_text("Mất mạng")
    page.get_by_role("button", name="Tán thành", exact=True).click()
    expect(page.locator(".pending")).to_have_count(1)
    chair.command(MEETING, type="poll_close", poll_id=poll_id)

    ctx.set_offline(False)
    refused = page.locator(".toast-error span")
    expect(refused).to_have_text("Biểu quyết không thực hiện được: biểu quyết này đã kết thúc")
    expect(page.locator(".outbox")).to_be_hidden()
    shot(page, "tablet-vote-refused-after-close")
    stored = chair.get(f"/api/meetings/{MEETING}/live")["state"]["polls"][str(poll_id)]
    assert stored["status"] == "closed" and stored["ballots"] == {}

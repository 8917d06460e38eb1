"""The browser's fold of live events (web/static/js/livestate.js) gives the server's state, event for event:
every kind of command is run over HTTP, the events are replayed to a browser over the WebSocket exactly as a
tablet receives them, folded there, and compared with GET /api/meetings/{id}/live."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.browser.helpers import Api, Contexts, open_page

MEETING = 1
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")

FOLD_IN_THE_BROWSER = """async () => {
  const { applyEvent, quorum } = await import('/static/js/livestate.js');
  const messages = await new Promise((resolve, reject) => {
    const got = [];
    const ws = new WebSocket(`ws://${location.host}/ws/meetings/1?since=1`);
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      got.push(msg);
      if (msg.type === 'presence') { ws.close(); resolve(got); }
    };
    ws.onerror = reject;
  });
  const snapshot = await (await fetch('/api/meetings/1/live')).json();
  const state = {
    ...structuredClone(snapshot.state), seq: 1, status: 'draft', paused: false, item_id: null, item_title: '',
    presenter: null, checked_in: {}, headcounts: {}, speakers: [], floor: null, polls: {}, conclusions: [],
  };
  state.quorum = quorum(state);
  const events = messages.filter((m) => m.type === 'event');
  for (const e of events) applyEvent(state, e.seq, e.kind, e.payload, e.at);
  return { folded: state, server: snapshot.state, kinds: events.map((e) => e.kind) };
}"""


def _same_instant(value: Any) -> Any:
    """Timestamps as instants (the log may hand them back with or without an explicit UTC offset)."""
    if isinstance(value, dict):
        return {k: _same_instant(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_same_instant(v) for v in value]
    if isinstance(value, str) and ISO.match(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return value


def _run_every_kind_of_command(as_user: Callable[[str], Api]) -> None:
    chair, operator = as_user("chair"), as_user("operator")
    d1, d2 = as_user("delegate01"), as_user("delegate02")
    room = next(bp["id"] for bp in chair.get("/api/bridge-points") if bp["code"] == "BP-HG-UBND")
    chair.command(MEETING, type="start")
    chair.command(MEETING, type="set_item", item_id=7, title="Báo cáo kinh tế - xã hội")
    chair.command(MEETING, type="present", document_id=3, page=2, zoom=1.5, x=0.25, y=0.5)
    d1.command(MEETING, type="checkin")
    d2.command(MEETING, type="checkin")
    d2.command(MEETING, type="checkin", present=False)
    operator.command(MEETING, type="headcount", bridge_point_id=room, count=40)
    by_room = operator.command(MEETING, type="speak_request", bridge_point_id=room)["seq"]
    by_d1 = d1.command(MEETING, type="speak_request", topic="Giao thông nông thôn")["seq"]
    by_d2 = d2.command(MEETING, type="speak_request")["seq"]
    d2.command(MEETING, type="speak_withdraw", request_id=by_d2)
    chair.command(MEETING, type="speak_order", request_ids=[by_d1, by_room])
    chair.command(MEETING, type="floor_grant", request_id=by_d1, limit_seconds=120)
    chair.command(MEETING, type="floor_grant", request_id=by_room)
    chair.command(MEETING, type="floor_end")
    poll = chair.command(MEETING, type="poll_open", question="Thông qua?", rule="of_present")["seq"]
    d1.command(MEETING, type="vote", poll_id=poll, choice="for")
    d2.command(MEETING, type="vote", poll_id=poll, choice="against")
    d1.command(MEETING, type="vote", poll_id=poll, choice="abstain")
    chair.command(MEETING, type="poll_close", poll_id=poll)
    secret = chair.command(MEETING, type="poll_open", question="Bầu?", secret=True, rule="two_thirds")["seq"]
    d1.command(MEETING, type="vote", poll_id=secret, choice="for")
    chair.command(MEETING, type="poll_close", poll_id=secret)
    chair.command(MEETING, type="conclude", text="Giao Sở Tài chính tổng hợp.")
    chair.command(MEETING, type="pause")
    chair.command(MEETING, type="resume")
    chair.command(MEETING, type="poll_open", question="Còn mở?")


def test_the_browser_folds_live_events_into_the_servers_state(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    _run_every_kind_of_command(as_user)
    page = open_page(contexts, "chair", "/app/meetings")
    out = page.evaluate(FOLD_IN_THE_BROWSER)
    assert {"live.checkin", "live.floor_granted", "poll.closed", "live.resumed"} <= set(out["kinds"])
    assert _same_instant(out["folded"]) == _same_instant(out["server"])

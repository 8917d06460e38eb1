"""Random and malformed messages on one live socket: no crash, each answered, the socket stays up.

Two fuzzers: hypothesis (500 shrinkable examples) and a seeded mutational fuzzer for volume (10,000 messages,
pipelined), which is ~50× cheaper per message than hypothesis' generation of nested JSON."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from starlette.testclient import TestClient

from meetings import live_schema
from tests.conftest import login

TYPES = [
    "ping",
    "start",
    "pause",
    "resume",
    "end",
    "set_item",
    "present",
    "checkin",
    "headcount",
    "speak_request",
    "speak_withdraw",
    "speak_order",
    "floor_grant",
    "floor_end",
    "poll_open",
    "vote",
    "poll_close",
    "conclude",
]
FIELDS = [
    "id",
    "page",
    "poll_id",
    "person_id",
    "choice",
    "request_id",
    "count",
    "options",
    "bridge_point_id",
    "question",
    "text",
    "zoom",
    "present",
    "secret",
    "rule",
    "limit_seconds",
    "request_ids",
    "item_id",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
near_misses = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES) | st.text(max_size=10)}, optional={f: json_values for f in FIELDS}
)
messages = st.one_of(st.text(max_size=60), json_values.map(json.dumps), near_misses.map(json.dumps))


def expected_valid(text: str) -> bool:
    try:
        live_schema.client_message.validate_json(text)
    except (ValidationError, ValueError):
        return False
    return True


def check_replies(ws: Any, texts: list[str]) -> int:
    """Read one reply per sent text (events in between are skipped); return how many were errors."""
    errors = 0
    for text in texts:
        reply: dict[str, Any] = ws.receive_json()
        while reply["type"] in {"event", "presence"}:  # events of its own commands, and who is online
            reply = ws.receive_json()
        assert isinstance(reply["seq"], int)
        if expected_valid(text):
            assert reply["type"] in {"ack", "pong", "error"}, (text, reply)
        else:
            assert reply["type"] == "error" and reply["code"] in {"malformed", "invalid"}, (text, reply)
            assert reply["detail"]
            errors += 1
    return errors


def mutated(rng: random.Random) -> str:
    """A message near the schema: a command type with fields missing, mistyped or foreign; or broken JSON."""
    body: dict[str, Any] = {"type": rng.choice(TYPES + ["", "Vote", "delete", "__proto__"])}
    for field in rng.sample(FIELDS, rng.randint(0, 5)):
        body[field] = rng.choice(
            [
                None,
                True,
                -1,
                0,
                2**64,
                1e308,
                "x" * rng.randint(0, 80),
                [],
                {},
                [1, "a"],
                {"$gt": ""},
                "for",
                rng.randint(1, 5),
            ]
        )
    text = json.dumps(body)
    roll = rng.random()
    if roll < 0.15:
        text = text[: rng.randint(0, len(text))]  # truncated
    elif roll < 0.25:
        text = (
            "".join(chr(rng.randint(0, 0xFFFF)) for _ in range(rng.randint(0, 40)))
            .encode("utf-8", "replace")
            .decode("utf-8", "replace")
        )
    elif roll < 0.3:
        text = json.dumps([body])
    return text


def test_ten_thousand_mutated_messages_each_get_an_answer(client: TestClient) -> None:
    rng = random.Random(20261123)
    with client.websocket_connect("/ws/meetings/1", headers=login(client, "delegate09")) as ws:
        assert ws.receive_json()["type"] == "hello"
        assert ws.receive_json()["type"] == "snapshot"
        errors = 0
        for _ in range(100):
            texts = [mutated(rng) for _ in range(100)]
            for text in texts:  # pipelined: replies come back in the order the messages went
                ws.send_text(text)
            errors += check_replies(ws, texts)
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["type"] == "pong"
    assert errors > 9_000


def test_hypothesis_messages_each_get_an_answer(client: TestClient) -> None:
    with client.websocket_connect("/ws/meetings/1", headers=login(client, "delegate08")) as ws:
        assert ws.receive_json()["type"] == "hello"
        assert ws.receive_json()["type"] == "snapshot"

        @settings(
            max_examples=500,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(messages)
        def one(text: str) -> None:
            ws.send_text(text)
            check_replies(ws, [text])

        one()
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["type"] == "pong"

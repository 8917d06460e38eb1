"""The string catalogue (web/static/js/strings.js) against the screens that use it and the server's enums:
every key a screen names exists in Vietnamese and in English, and every status, role, level and live command
the server can send has its words."""

from __future__ import annotations

import re
from pathlib import Path

from meetings import live_schema
from meetings.lifecycle import Status
from meetings.permissions import MeetingRole, Role
from meetings.units import Level, LinkQuality
from web.routes_pages import shell

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
KEY = re.compile(r"'([a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)+)'")
NOT_KEYS = re.compile(
    r"^(cauhop\.|meeting\.|live\.(?!pending|outbox|paused|fatal|rejected|personN|roomN)|poll\.("
    r"opened|ballot|closed)$)|\.(js|css|svg|png)$"
)


def catalogue() -> dict[str, set[str]]:
    text = (STATIC / "js" / "strings.js").read_text()
    vi, en = text.split("\n  en: {", 1)
    return {"vi": set(KEY.findall(vi.split("\n  vi: {", 1)[1])), "en": set(KEY.findall(en))}


def used_keys() -> set[str]:
    found = set()
    for path in [*STATIC.glob("js/*.js"), *STATIC.glob("pages/*.js")]:
        if path.name in {"strings.js", "livestate.js"}:
            continue
        found |= {k for k in KEY.findall(path.read_text()) if not NOT_KEYS.search(k)}
    found |= set(re.findall(r'data-i18n="([^"]+)"', shell("login")))
    return found


def test_both_languages_have_the_same_keys() -> None:
    keys = catalogue()
    assert keys["vi"] - keys["en"] == set(), "missing in English"
    assert keys["en"] - keys["vi"] == set(), "missing in Vietnamese"


def test_every_key_a_screen_names_has_words() -> None:
    missing = used_keys() - catalogue()["vi"]
    assert missing == set()


def test_every_value_the_server_sends_has_words() -> None:
    commands = set(live_schema.command_adapter.json_schema()["discriminator"]["mapping"])
    wanted = (
        {f"status.{s}" for s in Status}
        | {f"role.{r}" for r in Role}
        | {f"mrole.{r}" for r in MeetingRole}
        | {f"level.{lv}" for lv in Level}
        | {f"quality.{q}" for q in LinkQuality}
        | {f"cmd.{c}" for c in commands}
        | {f"poll.rule.{r}" for r in ("of_present", "of_members", "two_thirds")}
        | {f"conn.{c}" for c in ("connecting", "online", "offline", "closed")}
    )
    assert wanted - catalogue()["vi"] == set()
    assert len(commands) == 17

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


def _subclasses(cls: type) -> list[type]:
    return [cls, *(c for sub in cls.__subclasses__() for c in _subclasses(sub))]


def raised_reasons() -> dict[str, set[str]]:
    """Every reason the server's code raises an error with, and the figures every such raise gives it."""
    import ast
    import inspect

    from docs_store import errors as docs_errors  # noqa: F401  (its classes join the tree)
    from meetings.errors import CauhopError

    position = {  # each error class, and where it takes its reason among the positional arguments
        c.__name__: list(inspect.signature(c).parameters).index("reason") for c in _subclasses(CauhopError)
    }
    root = STATIC.parents[1]
    found: dict[str, set[str]] = {}
    for path in [p for d in ("meetings", "docs_store", "web", "rtc") for p in (root / d).rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name not in position:
                continue
            words = {k.arg: k.value for k in node.keywords if k.arg}
            at = position[name]
            given = words.get("reason", node.args[at] if len(node.args) > at else None)
            if not (isinstance(given, ast.Constant) and isinstance(given.value, str)):
                continue
            figures = set(words) - {"reason", "errors"}
            found[given.value] = found.get(given.value, figures) & figures
    return found


def test_every_reason_the_server_gives_has_words_naming_only_figures_it_sends() -> None:
    """A refused vote, a damaged PDF...: each error a screen shows in the page's language (why.<reason>)."""
    text = (STATIC / "js" / "strings.js").read_text()
    vi, en = text.split("\n  en: {", 1)
    reasons = raised_reasons()
    assert {"poll_closed", "not_pdf", "too_large", "already_queued"} <= set(reasons)
    for lang, block in (("vi", vi), ("en", en)):
        words = dict(re.findall(r"'why\.(\w+)':\s*'([^']*)'", block))
        assert set(reasons) - set(words) == set(), f"reasons without {lang} words"
        for reason, figures in reasons.items():
            named = set(re.findall(r"\{(\w+)\}", words[reason]))
            assert named <= figures, f"why.{reason} ({lang}) names {named - figures}, which some raise omits"

"""The words of every message the scheduler sends (pure): Vietnamese subjects and texts, times in
Asia/Ho_Chi_Minh. The in-app title is also the e-mail subject."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from meetings.clock import LOCAL_TZ
from meetings.recurrence import WEEKDAY_NAMES
from meetings.reminders import JobKind


def local_when(at: datetime) -> str:
    """``08:00 Thứ Hai, 06/01/2031`` in Asia/Ho_Chi_Minh."""
    local = at.astimezone(LOCAL_TZ)
    return f"{local:%H:%M} {WEEKDAY_NAMES[local.weekday()]}, {local:%d/%m/%Y}"


def lead_words(minutes: int) -> str:
    """``24 giờ``, ``1 giờ``, ``15 phút``, ``1 giờ 30 phút``, ``2 ngày``."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days and not rest:
        return f"{days} ngày"
    hours += days * 24
    parts = ([f"{hours} giờ"] if hours else []) + ([f"{mins} phút"] if mins else [])
    return " ".join(parts) or "0 phút"


@dataclass(frozen=True)
class Notice:
    title: str
    body: str


def notice_text(kind: JobKind, title: str, start: datetime, end: datetime, variant: str = "") -> Notice:
    """The Vietnamese subject and text of a meeting notice (the in-app title is the e-mail subject)."""
    when = f"Thời gian: {local_when(start)} – {end.astimezone(LOCAL_TZ):%H:%M} (giờ Việt Nam)"
    if kind is JobKind.invitation:
        return Notice(f"Giấy mời họp: {title}", f"Kính mời đồng chí tham dự: {title}\n{when}")
    if kind is JobKind.changed:
        return Notice(f"Thay đổi lịch họp: {title}", f"Cuộc họp «{title}» đã thay đổi.\n{when}")
    if kind is JobKind.cancelled:
        return Notice(f"Hủy cuộc họp: {title}", f"Cuộc họp «{title}» dự kiến {local_when(start)} đã bị hủy.")
    if kind is JobKind.reminder:
        lead = lead_words(int(variant or 0))
        return Notice(
            f"Nhắc lịch họp: {title} (sau {lead})", f"Cuộc họp «{title}» bắt đầu sau {lead}.\n{when}"
        )
    if kind is JobKind.overrun:
        return Notice(
            f"Cuộc họp quá giờ: {title}",
            f"Cuộc họp «{title}» vẫn đang diễn ra sau giờ kết thúc dự kiến "
            f"({end.astimezone(LOCAL_TZ):%H:%M}).",
        )
    raise ValueError(f"no notice text for {kind}")


def withdrawn_notice(title: str, start: datetime) -> Notice:
    """What someone taken off a published meeting (a participant removed, or the operator of a bridge
    point no longer in its scope) reads: they are no longer invited."""
    return Notice(
        f"Thôi mời dự họp: {title}",
        f"Đồng chí không còn trong thành phần dự cuộc họp «{title}» ({local_when(start)}). "
        "Giấy mời đã gửi trước đây không còn hiệu lực.",
    )


def connectivity_notice(
    bridge_point: str, title: str, status: str, rtt_ms: float | None = None, loss_pct: float | None = None
) -> Notice:
    """What a bridge point's operator (and the secretary) read when its test failed or went unanswered."""
    if status == "no_answer":
        return Notice(
            f"Điểm cầu {bridge_point} chưa phản hồi kiểm tra kết nối",
            f"Điểm cầu {bridge_point} chưa gửi kết quả kiểm tra kết nối trước cuộc họp «{title}».",
        )
    measures = "".join(
        [
            f", độ trễ {rtt_ms:.0f} ms" if rtt_ms is not None else "",
            f", mất gói {loss_pct:.1f}%" if loss_pct is not None else "",
        ]
    )
    return Notice(
        f"Điểm cầu {bridge_point} kiểm tra kết nối không đạt",
        f"Kiểm tra kết nối của điểm cầu {bridge_point} trước cuộc họp «{title}» không đạt{measures}. "
        "Đề nghị kiểm tra, khắc phục trước giờ họp.",
    )


def no_answer_summary(title: str, bridge_points: Sequence[str]) -> Notice:
    """The secretary's one message about every bridge point that did not answer in time."""
    return Notice(
        f"{len(bridge_points)} điểm cầu không phản hồi kiểm tra kết nối: {title}",
        f"Chưa nhận được kết quả kiểm tra kết nối trước cuộc họp «{title}» từ: {', '.join(bridge_points)}.",
    )


def agenda_deadline_notice(
    title: str, start: datetime, lead: timedelta, compiled: bool, changed: Sequence[str]
) -> Notice:
    """The secretary's warning when the packet is not published by its deadline (``lead`` before the
    start), or was published but the agenda or its documents (``changed``) moved on since."""
    due = f"hạn phát hành tài liệu là {lead_words(int(lead.total_seconds() // 60))} trước giờ họp"
    when = f"Cuộc họp bắt đầu lúc {local_when(start)}."
    if not compiled:
        return Notice(
            f"Chưa phát hành tài liệu họp: {title}",
            f"Đã đến hạn ({due}) nhưng bộ tài liệu của cuộc họp «{title}» chưa được phát hành. {when}",
        )
    return Notice(
        f"Bộ tài liệu họp chưa cập nhật: {title}",
        f"Đã đến hạn ({due}) nhưng sau lần phát hành bộ tài liệu gần nhất của cuộc họp «{title}» đã có "
        f"thay đổi chưa được phát hành lại: {', '.join(changed)}. {when}",
    )


def comments_closed_notice(document: str, deadline: datetime, comments: int, unhandled: int) -> Notice:
    """The secretary's message when a document's comments (góp ý) close: how many there are to handle."""
    if comments == 0:
        count = "Không có góp ý nào."
    else:
        count = f"Có {comments} góp ý, trong đó {unhandled} góp ý chưa xử lý (tiếp thu, giải trình)."
    return Notice(
        f"Hết hạn góp ý: {document} ({unhandled} chưa xử lý)",
        f"Đã hết hạn góp ý tài liệu «{document}» lúc {local_when(deadline)}. {count}",
    )

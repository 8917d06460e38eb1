"""Typeset the minutes (biên bản) composed by ``meetings.minutes`` as a PDF, and sign it (PAdES)."""
# mypy: allow-untyped-calls

from __future__ import annotations

from pathlib import Path

import pymupdf

from meetings.minutes import OPTION_VI, ROLE_VI, Minutes

from .fonts import SERIF, load_pair
from .signing import Credentials, sign_pdf
from .typeset import Column, Flow

RULE_VI = {
    "of_present": "quá nửa số đại biểu có mặt",
    "of_members": "quá nửa tổng số thành viên",
    "two_thirds": "ít nhất hai phần ba tổng số thành viên",
}


def write_minutes(minutes: Minutes, path: Path, signer: str | None = None) -> Path:
    """The minutes typeset at ``path``; their last line names ``signer``, who will sign them, or says
    that they are not signed digitally."""
    doc = pymupdf.open()
    flow = Flow(doc, load_pair(SERIF))
    flow.line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True, align="center")
    flow.line("Độc lập - Tự do - Hạnh phúc", 12, bold=True, align="center")
    flow.space(14)
    flow.line("BIÊN BẢN", 16, bold=True, align="center")
    flow.paragraph(minutes.title, 13, bold=True, align="center")
    flow.paragraph(
        f"Cơ quan chủ trì: {minutes.host} ({minutes.body}). Thời gian theo lịch: {minutes.scheduled}. "
        f"Bắt đầu: {minutes.started or 'chưa bắt đầu'}; kết thúc: {minutes.ended or 'chưa kết thúc'}. "
        f"Số điểm cầu: {minutes.bridge_points}.",
        12,
        indent=28,
    )
    _attendance(flow, minutes)
    _section(flow, "II. NỘI DUNG", [(t, title) for t, title in minutes.items], ("Giờ", "Nội dung"))
    if minutes.speeches:
        flow.line("Ý kiến phát biểu", 12, bold=True)
        flow.table(
            [Column("Giờ", 1), Column("Người phát biểu", 3), Column("Nội dung", 4), Column("Thời lượng", 2)],
            [list(s) for s in minutes.speeches],
        )
    _polls(flow, minutes)
    _section(flow, "IV. KẾT LUẬN CỦA CHỦ TRÌ", minutes.conclusions, ("Giờ", "Kết luận"))
    flow.space(10)
    flow.paragraph(
        f"Biên bản lập từ nhật ký cuộc họp (sự kiện 1–{minutes.last_seq}, mã chuỗi băm "
        f"{minutes.chain_head[:16]}…). "
        + (f"Ký số (PAdES) bởi: {signer}." if signer else "Chưa ký số: máy chủ chưa cấu hình khóa ký."),
        10,
    )
    flow.space(20)
    flow.line(
        "THƯ KÝ                                                            CHỦ TRÌ",
        12,
        bold=True,
        align="center",
    )
    flow.flush()
    doc.set_metadata({"title": f"Biên bản - {minutes.title}", "producer": "Cầu Họp"})
    doc.save(path, garbage=3, deflate=True)
    doc.close()
    return path


def sign_minutes(path: Path, minutes: Minutes, credentials: Credentials) -> bytes:
    """The typeset minutes at ``path``, signed with the service's key; the reason names the log's head."""
    reason = (
        f"Biên bản lập từ nhật ký cuộc họp (sự kiện 1–{minutes.last_seq}, mã chuỗi băm {minutes.chain_head})"
    )
    return sign_pdf(path.read_bytes(), credentials, reason, location=minutes.host)


def _attendance(flow: Flow, minutes: Minutes) -> None:
    q = minutes.quorum
    flow.line("I. THÀNH PHẦN", 12, bold=True)
    flow.paragraph(
        f"Có mặt {q['present']}/{q['members']} thành viên (cần {q['needed']} để đủ điều kiện: "
        f"{'đủ' if q['reached'] else 'không đủ'}); tổng số người tại các điểm cầu: {minutes.headcount}.",
        12,
        indent=28,
    )
    rows = [[p.name, p.title, ROLE_VI.get(p.role, p.role), "Có mặt"] for p in minutes.present]
    rows += [[p.name, p.title, ROLE_VI.get(p.role, p.role), "Vắng"] for p in minutes.absent]
    if rows:
        flow.table(
            [Column("Họ và tên", 3), Column("Chức vụ", 4), Column("Vai trò", 2), Column("Điểm danh", 2)], rows
        )


def _section(flow: Flow, heading: str, rows: list[tuple[str, str]], titles: tuple[str, str]) -> None:
    flow.line(heading, 12, bold=True)
    if rows:
        flow.table([Column(titles[0], 1), Column(titles[1], 8)], [list(r) for r in rows])
    else:
        flow.paragraph("(không có)", 12, indent=28)


def _polls(flow: Flow, minutes: Minutes) -> None:
    flow.line("III. BIỂU QUYẾT", 12, bold=True)
    if not minutes.polls:
        flow.paragraph("(không có)", 12, indent=28)
    for n, poll in enumerate(minutes.polls, 1):
        kind = "bỏ phiếu kín" if poll["secret"] else "biểu quyết công khai"
        counts = "; ".join(f"{OPTION_VI.get(k, k)}: {v}" for k, v in poll["counts"].items())
        verdict = ""
        if "passed" in poll:
            verdict = " — THÔNG QUA" if poll["passed"] else " — KHÔNG THÔNG QUA"
        flow.paragraph(
            f"{n}. {poll['question']} ({kind}; tỷ lệ: {RULE_VI.get(poll['rule'], poll['rule'])}). "
            f"Số phiếu: {poll['turnout']}. {counts}{verdict}.",
            12,
            indent=28,
        )

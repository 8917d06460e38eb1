"""Generate a realistic agenda for a provincial People's Council session (about 110 pages, deterministic).

``write_demo_agenda(folder)`` writes five documents — a socio-economic report, a draft budget resolution
with its tables, a draft public-investment resolution with its project list, the Economy-Budget
Committee's review and the report on voters' petitions — and returns them in agenda order. Same bytes on
every run: a seeded random generator recombines ``demo_text``, and no dates or ids go into the files.
Every page says that the figures are invented.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from . import demo_tables as tables
from . import demo_text as text
from .fonts import SERIF, FontPair, load_pair
from .typeset import Flow, stamp_lines

YEAR, NEXT = 2026, 2027
FOOTER = "Tài liệu mẫu – số liệu giả định"


@dataclass(frozen=True)
class DemoDoc:
    """A generated document with the title and presenter to show on the agenda."""

    title: str
    presenter: str
    path: Path


class Writer:
    """A Flow plus the seeded generator and the document's outline."""

    def __init__(self, doc: pymupdf.Document, fonts: FontPair, seed: int) -> None:
        self.flow = Flow(doc, fonts)
        self.rng = random.Random(seed)
        self.outline: list[list[object]] = []

    def fill(self, template: str) -> str:
        rng = self.rng
        return template.format(
            d=rng.choice(text.DISTRICTS), d2=rng.choice(text.DISTRICTS),
            p=tables.vn(rng.uniform(2, 12), 1), p2=tables.vn(rng.uniform(40, 95), 1),
            n=rng.randint(12, 950), n2=rng.randint(120, 400),
            m=tables.vn(rng.uniform(800, 9000), 1), m2=tables.vn(rng.uniform(300, 2500), 1),
            y=YEAR, ny=NEXT,
        )  # fmt: skip

    def prose(self, topic: str, paragraphs: int) -> None:
        """``paragraphs`` paragraphs, each two sentences drawn from ``topic``."""
        pool = text.TOPICS[topic]
        for _ in range(paragraphs):
            first, second = self.rng.sample(pool, 2)
            self.flow.paragraph(self.fill(first) + " " + self.fill(second), 12, indent=28)

    def heading(self, title: str, level: int = 1) -> None:
        self.flow.ensure(60)
        self.flow.space(4)
        depth = min(level, self.outline[-1][0] + 1 if self.outline else 1)  # type: ignore[operator]
        self.outline.append([depth, title, self.flow.doc.page_count])
        self.flow.paragraph(title, 12.5 if level == 1 else 12, bold=True)

    def masthead(self, issuer: tuple[str, str], number: str, kind: str, subject: str) -> None:
        """The two-column heading of a Vietnamese administrative document, then its title."""
        flow = self.flow
        flow.new_page()
        left, right = flow.left + flow.width * 0.2, flow.left + flow.width * 0.66
        top = flow.y + 11
        for i, line in enumerate(issuer):
            flow.text_at(left, top + i * 14, line, 11, bold=i == 1, align="center")
        flow.text_at(left, top + 36, f"Số: {number}", 11, align="center")
        flow.text_at(right, top, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 11, bold=True, align="center")
        flow.text_at(right, top + 14, "Độc lập - Tự do - Hạnh phúc", 12, bold=True, align="center")
        flow.rule(right - 70, top + 19, right + 70, top + 19)
        flow.text_at(right, top + 36, f"{text.PROVINCE}, ngày 20 tháng 11 năm {YEAR}", 11, align="center")
        flow.space(70)
        flow.line(kind, 14, bold=True, align="center")
        for line in subject.split("\n"):
            flow.line(line, 13, bold=True, align="center")
        flow.space(14)

    def signature(self, on_behalf: str, role: str) -> None:
        self.flow.ensure(80)
        x = self.flow.left + self.flow.width * 0.72
        lines = [(on_behalf, True), (role, True), ("(Đã ký)", False)]
        for i, (line, bold) in enumerate(x for x in lines if x[0]):
            self.flow.text_at(x, self.flow.y + 12 + i * 16, line, 12, bold=bold, align="center")
        self.flow.space(80)


UBND = ("ỦY BAN NHÂN DÂN", f"TỈNH {text.PROVINCE.upper()}")
HDND = ("HỘI ĐỒNG NHÂN DÂN", f"TỈNH {text.PROVINCE.upper()}")
REPORT_SECTIONS = (
    ("1. Về tăng trưởng kinh tế", "economy", 26),
    ("2. Sản xuất nông, lâm nghiệp và xây dựng nông thôn mới", "agriculture", 30),
    ("3. Phát triển du lịch", "tourism", 16),
    ("4. Thu, chi ngân sách nhà nước", "budget", 24),
    ("5. Đầu tư công", "investment", 26),
    ("6. Văn hóa - xã hội", "society", 36),
    ("7. Cải cách hành chính, chuyển đổi số", "administration", 20),
    ("8. Quốc phòng, an ninh", "security", 14),
)
REVIEW_SECTIONS = (
    ("I. Về tình hình kinh tế - xã hội", "review", 30),
    ("II. Về dự toán ngân sách", "budget", 30),
    ("III. Về kế hoạch đầu tư công", "investment", 30),
    ("IV. Kiến nghị", "review", 24),
)
PETITION_STATES = ("Đã giải quyết", "Đang giải quyết", "Giải trình")


def socio_economic_report(w: Writer) -> None:
    subject = f"Tình hình kinh tế - xã hội năm {YEAR};\nmục tiêu, nhiệm vụ, giải pháp năm {NEXT}"
    w.masthead(UBND, "412/BC-UBND", "BÁO CÁO", subject)
    w.heading(f"I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ PHÁT TRIỂN KINH TẾ - XÃ HỘI NĂM {YEAR}")
    for title, topic, n in REPORT_SECTIONS:
        w.heading(title, 2)
        w.prose(topic, n)
    w.heading(f"Biểu: Một số chỉ tiêu chủ yếu năm {YEAR}", 2)
    w.flow.table(tables.INDICATOR_COLUMNS, tables.indicators(w.rng))
    w.heading(f"Biểu: Kết quả thực hiện một số chỉ tiêu theo huyện, thành phố năm {YEAR}", 2)
    w.flow.table(tables.INDICATOR_COLUMNS, tables.indicators_by_district(w.rng), size=9)
    w.heading("II. HẠN CHẾ, YẾU KÉM VÀ NGUYÊN NHÂN")
    w.prose("limits", 28)
    w.heading(f"III. MỤC TIÊU, NHIỆM VỤ, GIẢI PHÁP NĂM {NEXT}")
    w.prose("tasks", 36)
    w.signature("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")


def resolution_preamble(w: Writer, subject: str) -> None:
    w.masthead(HDND, "      /NQ-HĐND (dự thảo)", "NGHỊ QUYẾT", subject)
    w.flow.line(text.COUNCIL, 12, bold=True, align="center")
    w.flow.line("KHÓA XVIII, KỲ HỌP THỨ MƯỜI HAI", 12, bold=True, align="center")
    w.flow.space(8)
    for basis in text.BASES:
        w.flow.paragraph(basis, 12, indent=28)
    w.flow.line("QUYẾT NGHỊ:", 12.5, bold=True, align="center")


def budget_resolution(w: Writer) -> None:
    resolution_preamble(w, f"Về dự toán thu, chi ngân sách nhà nước năm {NEXT}")
    for number, article in enumerate(text.ARTICLES, start=1):
        w.heading(f"Điều {number}.")
        w.flow.paragraph(w.fill(article), 12, indent=28)
    w.signature("CHỦ TỊCH", "")
    for title, columns, rows in tables.budget_tables(w.rng, YEAR, NEXT):
        w.flow.new_page()
        w.heading(title)
        w.flow.table(columns, rows, size=9)


def investment_resolution(w: Writer) -> None:
    resolution_preamble(w, f"Về kế hoạch đầu tư công năm {NEXT}")
    w.heading("Điều 1. Tổng kế hoạch vốn và nguyên tắc phân bổ")
    w.prose("investment", 8)
    w.heading("Điều 2. Tổ chức thực hiện")
    w.prose("tasks", 4)
    w.signature("CHỦ TỊCH", "")
    w.flow.new_page()
    w.heading(f"Phụ lục: Danh mục dự án bố trí vốn năm {NEXT}")
    w.flow.table(tables.PROJECT_COLUMNS, tables.projects(w.rng, 400), size=8.5)


def committee_review(w: Writer) -> None:
    subject = "Các báo cáo, dự thảo nghị quyết lĩnh vực kinh tế - ngân sách\ntrình Kỳ họp thứ Mười hai"
    w.masthead(HDND, "96/BC-KTNS", "BÁO CÁO THẨM TRA", subject)
    for title, topic, n in REVIEW_SECTIONS:
        w.heading(title)
        w.prose(topic, n)
    w.signature("TM. BAN KINH TẾ - NGÂN SÁCH", "TRƯỞNG BAN")


def voters_report(w: Writer) -> None:
    subject = "Kết quả giải quyết kiến nghị của cử tri\ngửi đến Kỳ họp thứ Mười một"
    w.masthead(UBND, "418/BC-UBND", "BÁO CÁO", subject)
    w.prose("voters", 16)
    w.heading("Bảng tổng hợp kết quả giải quyết")
    rows = []
    for number in range(1, 161):
        place = w.rng.choice(text.DISTRICTS).capitalize()
        petition = w.fill(w.rng.choice(text.TOPICS["voters"]))
        rows.append([str(number), place, petition, w.rng.choice(PETITION_STATES)])
    w.flow.table(tables.VOTER_COLUMNS, rows, size=9)
    w.signature("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH - PHÓ CHỦ TỊCH")


AGENDA: tuple[tuple[str, str, str, Callable[[Writer], None]], ...] = (
    (
        "01-bao-cao-kt-xh.pdf",
        f"Báo cáo tình hình kinh tế - xã hội năm {YEAR}",
        "Chủ tịch UBND tỉnh",
        socio_economic_report,
    ),
    (
        "02-du-thao-nq-du-toan.pdf",
        f"Dự thảo Nghị quyết về dự toán ngân sách nhà nước năm {NEXT}",
        "Giám đốc Sở Tài chính",
        budget_resolution,
    ),
    (
        "03-du-thao-nq-dau-tu-cong.pdf",
        f"Dự thảo Nghị quyết về kế hoạch đầu tư công năm {NEXT}",
        "Giám đốc Sở Tài chính",
        investment_resolution,
    ),
    (
        "04-bao-cao-tham-tra.pdf",
        "Báo cáo thẩm tra của Ban Kinh tế - Ngân sách",
        "Trưởng Ban Kinh tế - Ngân sách HĐND tỉnh",
        committee_review,
    ),
    (
        "05-bao-cao-kien-nghi-cu-tri.pdf",
        "Báo cáo kết quả giải quyết kiến nghị cử tri",
        "Phó Chủ tịch UBND tỉnh",
        voters_report,
    ),
)


def write_demo_agenda(folder: Path) -> list[DemoDoc]:
    """Write the demo documents into ``folder`` and return them in agenda order."""
    folder.mkdir(parents=True, exist_ok=True)
    fonts = load_pair(SERIF)
    written = []
    for seed, (name, title, presenter, build) in enumerate(AGENDA, start=1):
        path = folder / name
        _write(path, title, fonts, seed, build)
        written.append(DemoDoc(title, presenter, path))
    return written


def _write(path: Path, title: str, fonts: FontPair, seed: int, build: Callable[[Writer], None]) -> None:
    with pymupdf.open() as doc:
        writer = Writer(doc, fonts, seed)
        build(writer)
        writer.flow.flush()
        total, measure = doc.page_count, writer.flow.measure()
        for number in range(total):
            page = doc.load_page(number)
            footer = f"{FOOTER} · Trang {number + 1}/{total}"
            x = (page.rect.width - measure(footer, 8)) / 2
            stamp_lines(page, [(pymupdf.Point(x, page.rect.height - 22), footer)], fonts.regular, 8)
        doc.set_toc(writer.outline)
        doc.set_metadata(
            {
                "title": title,
                "author": text.COMMITTEE,
                "subject": text.SESSION,
                "creator": "Cầu Họp (tài liệu mẫu)",
            }
        )
        doc.subset_fonts()
        doc.save(path, garbage=3, deflate=True, no_new_id=True)

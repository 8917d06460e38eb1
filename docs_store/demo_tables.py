"""Tables of invented figures for the demo documents (deterministic for a given random generator)."""

from __future__ import annotations

import random

from .demo_text import DISTRICTS, PROJECT_KINDS
from .typeset import Column

COMMUNES = (
    "Lũng Cú", "Thanh Thủy", "Phương Thiện", "Sủng Là", "Lũng Phìn", "Pải Lủng", "Tùng Vài", "Cán Tỷ",
    "Nà Chì", "Thông Nguyên", "Yên Cường", "Việt Lâm", "Tân Quang", "Đạo Đức", "Bạch Ngọc", "Minh Ngọc",
    "Sơn Vĩ", "Niêm Sơn", "Hồ Thầu", "Nấm Dẩn", "Du Già", "Lao Chải", "Thuận Hòa", "Vô Điếm",
)  # fmt: skip

INDICATOR_COLUMNS = (
    Column("Chỉ tiêu", 4.2), Column("Đơn vị", 1.3, "center"), Column("Kế hoạch", 1.4, "right"),
    Column("Ước thực hiện", 1.5, "right"), Column("So sánh (%)", 1.3, "right"),
)  # fmt: skip
INDICATORS = (
    ("Tốc độ tăng trưởng GRDP", "%"), ("GRDP bình quân đầu người", "triệu đồng"),
    ("Tổng thu ngân sách trên địa bàn", "tỷ đồng"), ("Tổng vốn đầu tư toàn xã hội", "tỷ đồng"),
    ("Sản lượng lương thực có hạt", "nghìn tấn"), ("Tổng lượt khách du lịch", "nghìn lượt"),
    ("Tỷ lệ che phủ rừng", "%"), ("Số xã đạt chuẩn nông thôn mới (lũy kế)", "xã"),
    ("Tỷ lệ hộ nghèo giảm", "điểm %"), ("Tỷ lệ dân số tham gia bảo hiểm y tế", "%"),
    ("Tỷ lệ trường đạt chuẩn quốc gia", "%"), ("Số lao động được tạo việc làm mới", "người"),
    ("Tỷ lệ hồ sơ trực tuyến toàn trình", "%"), ("Tỷ lệ dân số nông thôn dùng nước hợp vệ sinh", "%"),
)  # fmt: skip
REVENUES = (
    "Thu từ doanh nghiệp nhà nước", "Thu từ doanh nghiệp có vốn đầu tư nước ngoài",
    "Thu từ khu vực kinh tế ngoài quốc doanh", "Thuế thu nhập cá nhân", "Thuế bảo vệ môi trường",
    "Lệ phí trước bạ", "Thu phí, lệ phí", "Thu tiền sử dụng đất", "Thu tiền thuê đất, thuê mặt nước",
    "Thu từ hoạt động xổ số kiến thiết", "Thu tiền cấp quyền khai thác khoáng sản", "Thu khác ngân sách",
)  # fmt: skip
SPENDING = (
    "Chi giáo dục - đào tạo và dạy nghề", "Chi khoa học và công nghệ", "Chi y tế, dân số và gia đình",
    "Chi văn hóa thông tin", "Chi phát thanh, truyền hình", "Chi thể dục thể thao", "Chi bảo vệ môi trường",
    "Chi các hoạt động kinh tế", "Chi quản lý hành chính", "Chi bảo đảm xã hội", "Chi quốc phòng, an ninh",
)  # fmt: skip
MONEY_COLUMNS = (
    Column("STT", 0.6, "center"), Column("Nội dung", 4.4), Column("Ước thực hiện {y}", 1.6, "right"),
    Column("Dự toán {ny}", 1.6, "right"), Column("So sánh (%)", 1.2, "right"),
)  # fmt: skip
PROJECT_COLUMNS = (
    Column("STT", 0.6, "center"), Column("Danh mục dự án", 3.5), Column("Địa điểm", 1.9),
    Column("Thời gian KC-HT", 1.2, "center"), Column("Tổng mức đầu tư", 1.3, "right"),
    Column("Kế hoạch vốn", 1.2, "right"),
)  # fmt: skip
VOTER_COLUMNS = (
    Column("STT", 0.6, "center"),
    Column("Địa phương", 1.6),
    Column("Nội dung kiến nghị và kết quả", 5.4),
    Column("Tình trạng", 1.3),
)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def vn(value: float, decimals: int = 0) -> str:
    """A number written the Vietnamese way: ``1.234.567`` and ``12,5``."""
    return f"{value:,.{decimals}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


def indicators(rng: random.Random) -> list[list[str]]:
    rows = []
    for name, unit in INDICATORS:
        plan = rng.uniform(5, 5000) if unit not in ("%", "điểm %") else rng.uniform(3, 95)
        done = plan * rng.uniform(0.93, 1.12)
        rows.append([name, unit, vn(plan, 1), vn(done, 1), vn(100 * done / plan, 1)])
    return rows


def indicators_by_district(rng: random.Random) -> list[list[str]]:
    rows: list[list[str]] = []
    for district in DISTRICTS:
        rows.append([district.capitalize(), "", "", "", ""])
        rows.extend(indicators(rng))
    return rows


def _money_rows(rng: random.Random, names: tuple[str, ...], scale: float) -> list[list[str]]:
    rows = []
    for i, name in enumerate(names, start=1):
        now = rng.uniform(0.2, 1.0) * scale
        later = now * rng.uniform(0.9, 1.2)
        rows.append([str(i), name, vn(now, 0), vn(later, 0), vn(100 * later / now, 1)])
    return rows


def budget_tables(
    rng: random.Random, year: int, next_year: int
) -> list[tuple[str, tuple[Column, ...], list[list[str]]]]:
    """The appendix tables of the budget resolution: revenue, spending and each district's budget."""
    columns = tuple(Column(c.title.format(y=year, ny=next_year), c.share, c.align) for c in MONEY_COLUMNS)
    result = [
        (
            f"Biểu số 01: Dự toán thu ngân sách nhà nước trên địa bàn năm {next_year}",
            columns,
            _money_rows(rng, REVENUES, 900),
        ),
        (
            f"Biểu số 02: Dự toán chi ngân sách cấp tỉnh theo lĩnh vực năm {next_year}",
            columns,
            _money_rows(rng, SPENDING, 1500),
        ),
    ]
    rows: list[list[str]] = []
    for n, district in enumerate(DISTRICTS):
        rows.append([ROMAN[n], district.capitalize(), "", "", ""])
        rows.extend(_money_rows(rng, SPENDING, 120))
    result.append((f"Biểu số 03: Dự toán chi ngân sách các huyện, thành phố năm {next_year}", columns, rows))
    rows = []
    for n, district in enumerate(DISTRICTS):
        rows.append([ROMAN[n], district.capitalize(), "", "", ""])
        rows.extend(_money_rows(rng, REVENUES, 60))
    result.append(
        (
            f"Biểu số 04: Dự toán thu ngân sách trên địa bàn các huyện, thành phố năm {next_year}",
            columns,
            rows,
        )
    )
    return result


def projects(rng: random.Random, count: int) -> list[list[str]]:
    rows = []
    for i in range(1, count + 1):
        commune, district = rng.choice(COMMUNES), rng.choice(DISTRICTS[1:])
        start = rng.randint(2024, 2027)
        total = rng.uniform(3, 180)
        rows.append([
            str(i), f"{rng.choice(PROJECT_KINDS)} {commune}", f"Xã {commune}, {district}",
            f"{start}-{start + rng.randint(1, 3)}", vn(total, 1), vn(total * rng.uniform(0.1, 0.6), 1),
        ])  # fmt: skip
    return rows

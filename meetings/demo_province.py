"""The demo province, as plain data: a mountain province modelled on Hà Giang (before the 2025
reorganisation): 11 districts, 195 communes and 241 bridge points. Names of communes and people are
generated and for demonstration only."""

from __future__ import annotations

import random
from dataclasses import dataclass

# district name, kind, number of communes, link quality of its communes
DISTRICTS: tuple[tuple[str, str, int, str], ...] = (
    ("Thành phố Hà Giang", "city", 8, "good"),
    ("Huyện Bắc Quang", "district", 23, "good"),
    ("Huyện Quang Bình", "district", 15, "good"),
    ("Huyện Vị Xuyên", "district", 24, "good"),
    ("Huyện Bắc Mê", "district", 13, "poor"),
    ("Huyện Hoàng Su Phì", "district", 25, "poor"),
    ("Huyện Xín Mần", "district", 19, "poor"),
    ("Huyện Quản Bạ", "district", 13, "poor"),
    ("Huyện Yên Minh", "district", 18, "poor"),
    ("Huyện Đồng Văn", "district", 19, "poor"),
    ("Huyện Mèo Vạc", "district", 18, "poor"),
)

DEPARTMENTS = (
    "Văn phòng UBND tỉnh",
    "Sở Nội vụ",
    "Sở Tài chính",
    "Sở Kế hoạch và Đầu tư",
    "Sở Tư pháp",
    "Sở Công Thương",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Sở Giao thông vận tải",
    "Sở Xây dựng",
    "Sở Tài nguyên và Môi trường",
    "Sở Thông tin và Truyền thông",
    "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Khoa học và Công nghệ",
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Sở Ngoại vụ",
    "Thanh tra tỉnh",
    "Ban Dân tộc tỉnh",
    "Công an tỉnh",
)

_COMMUNE_STEMS = (
    "Tân Quang",
    "Minh Sơn",
    "Thanh Thủy",
    "Phương Tiến",
    "Đạo Đức",
    "Việt Lâm",
    "Kim Thạch",
    "Ngọc Linh",
    "Quảng Ngần",
    "Thượng Sơn",
    "Cao Bồ",
    "Tùng Bá",
    "Phong Quang",
    "Lao Chải",
    "Xín Chải",
    "Bạch Ngọc",
    "Trung Thành",
    "Linh Hồ",
    "Ngọc Minh",
    "Thuận Hòa",
    "Hùng An",
    "Vĩnh Hảo",
    "Đông Thành",
    "Tiên Kiều",
    "Việt Hồng",
    "Kim Ngọc",
    "Bằng Hành",
    "Liên Hiệp",
    "Hữu Sản",
    "Đức Xuân",
    "Vô Điếm",
    "Tân Lập",
    "Tân Thành",
    "Quang Minh",
    "Việt Vinh",
    "Đồng Tâm",
    "Yên Hà",
    "Tiên Yên",
    "Xuân Giang",
    "Nà Khương",
    "Bằng Lang",
    "Hương Sơn",
    "Vĩ Thượng",
    "Yên Thành",
    "Tân Bắc",
    "Tiên Nguyên",
    "Minh Ngọc",
    "Lạc Nông",
    "Yên Cường",
    "Đường Âm",
    "Phú Nam",
    "Giáp Trung",
    "Thượng Tân",
    "Đường Hồng",
    "Nậm Dịch",
    "Hồ Thầu",
    "Bản Luốc",
    "Nam Sơn",
    "Pờ Ly Ngài",
    "Thông Nguyên",
    "Túng Sán",
    "Chiến Phố",
    "Bản Péo",
    "Nậm Ty",
    "Chế Là",
    "Nấm Dẩn",
    "Quảng Nguyên",
    "Thèn Phàng",
    "Cốc Pài",
    "Nà Chì",
    "Khuôn Lùng",
    "Tả Ván",
    "Quyết Tiến",
    "Thanh Vân",
    "Cán Tỷ",
    "Lùng Tám",
    "Đông Hà",
    "Bát Đại Sơn",
    "Du Già",
    "Mậu Duệ",
    "Ngam La",
    "Đông Minh",
    "Lũng Hồ",
    "Sủng Thài",
    "Phố Bảng",
    "Sảng Tủng",
    "Lũng Cú",
    "Sà Phìn",
    "Sủng Là",
    "Vần Chải",
    "Lũng Thầu",
    "Pả Vi",
    "Xín Cái",
    "Niêm Sơn",
    "Sơn Vĩ",
    "Thượng Phùng",
)

_FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Lò",
    "Vàng",
    "Sùng",
    "Giàng",
    "Lý",
)
_MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thanh", "Quốc", "Hữu", "Ngọc", "Mạnh", "Thu")
_GIVEN = (
    "An",
    "Bình",
    "Chiến",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hòa",
    "Hùng",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phúc",
    "Quang",
    "Sơn",
    "Tâm",
    "Thắng",
    "Thảo",
    "Trang",
    "Tuấn",
    "Vinh",
)


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None


@dataclass(frozen=True)
class BridgePointSpec:
    code: str
    name: str
    unit_code: str
    address: str
    capacity: int
    link_quality: str


def province() -> tuple[list[UnitSpec], list[BridgePointSpec]]:
    """Units (province bodies, departments, districts and their bodies, communes) and bridge points."""
    units = [
        UnitSpec("HG", "Tỉnh Hà Giang", "province", "administrative", None),
        UnitSpec("HG-TU", "Tỉnh ủy Hà Giang", "province", "party_committee", "HG"),
        UnitSpec("HG-HDND", "HĐND tỉnh Hà Giang", "province", "peoples_council", "HG"),
        UnitSpec("HG-UBND", "UBND tỉnh Hà Giang", "province", "peoples_committee", "HG"),
    ]
    bps = [
        BridgePointSpec(
            "BP-HG-TU", "Hội trường Tỉnh ủy", "HG-TU", "Đường Nguyễn Trãi, TP Hà Giang", 300, "good"
        ),
        BridgePointSpec("BP-HG-HDND", "Hội trường HĐND tỉnh", "HG-HDND", "TP Hà Giang", 250, "good"),
        BridgePointSpec(
            "BP-HG-UBND", "Phòng họp trực tuyến UBND tỉnh", "HG-UBND", "TP Hà Giang", 120, "good"
        ),
        BridgePointSpec("BP-HG-UBND-2", "Phòng họp số 2 UBND tỉnh", "HG-UBND", "TP Hà Giang", 40, "good"),
    ]
    for i, name in enumerate(DEPARTMENTS, 1):
        code = f"HG-S{i:02d}"
        units.append(UnitSpec(code, name, "province", "department", "HG-UBND"))
        bps.append(BridgePointSpec(f"BP-{code}", f"Phòng họp {name}", code, "TP Hà Giang", 40, "good"))
    stems = iter(_COMMUNE_STEMS * 3)
    for d, (name, kind, communes, link) in enumerate(DISTRICTS, 1):
        dcode = f"D{d:02d}"
        short = name.removeprefix("Huyện ").removeprefix("Thành phố ")
        units += [
            UnitSpec(dcode, name, "district", "administrative", "HG"),
            UnitSpec(
                f"{dcode}-HU",
                f"{'Thành' if kind == 'city' else 'Huyện'} ủy {short}",
                "district",
                "party_committee",
                dcode,
            ),
            UnitSpec(
                f"{dcode}-UBND", f"UBND {name[0].lower()}{name[1:]}", "district", "peoples_committee", dcode
            ),
        ]
        bps += [
            BridgePointSpec(
                f"BP-{dcode}-UBND", f"Phòng họp trực tuyến UBND {short}", f"{dcode}-UBND", name, 80, "good"
            ),
            BridgePointSpec(
                f"BP-{dcode}-HU",
                f"Hội trường {'Thành' if kind == 'city' else 'Huyện'} ủy {short}",
                f"{dcode}-HU",
                name,
                150,
                "good",
            ),
        ]
        prefix = "Phường" if kind == "city" else "Xã"
        for c in range(1, communes + 1):
            ccode = f"{dcode}-X{c:02d}"
            cname = f"{prefix} {next(stems)}"
            units.append(
                UnitSpec(ccode, f"UBND {cname[0].lower()}{cname[1:]}", "commune", "peoples_committee", dcode)
            )
            bps.append(
                BridgePointSpec(f"BP-{ccode}", f"Điểm cầu {cname}", ccode, f"{cname}, {name}", 30, link)
            )
    return units, bps


def person_names(count: int, seed: int = 2026) -> list[str]:
    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"
        if name not in names:
            names.append(name)
    return names

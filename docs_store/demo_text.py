"""Vietnamese prose for the demo agenda: sentences by topic, recombined deterministically by demo_pdfs.

All figures are invented (the documents say so on every page). Placeholders: ``{d}``, ``{d2}`` district
names, ``{p}`` a percentage, ``{n}`` a count, ``{m}`` an amount in billion đồng, ``{y}`` this year,
``{ny}`` next year.
"""

from __future__ import annotations

PROVINCE = "Hà Giang"
COUNCIL = f"HỘI ĐỒNG NHÂN DÂN TỈNH {PROVINCE.upper()}"
COMMITTEE = f"ỦY BAN NHÂN DÂN TỈNH {PROVINCE.upper()}"
SESSION = "Kỳ họp thứ Mười hai, Hội đồng nhân dân tỉnh khóa XVIII, nhiệm kỳ 2021 - 2026"
DISTRICTS = (
    "thành phố Hà Giang", "huyện Bắc Quang", "huyện Quang Bình", "huyện Vị Xuyên", "huyện Bắc Mê",
    "huyện Hoàng Su Phì", "huyện Xín Mần", "huyện Quản Bạ", "huyện Yên Minh", "huyện Đồng Văn", "huyện Mèo "
    "Vạc",
)  # fmt: skip

TOPICS: dict[str, tuple[str, ...]] = {
    "economy": (
        "Tốc độ tăng trưởng tổng sản phẩm trên địa bàn (GRDP) năm {y} ước đạt {p}%, vượt chỉ tiêu Nghị quyết "
        "Hội đồng nhân dân tỉnh giao; quy mô nền kinh tế tiếp tục được mở rộng, cơ cấu kinh tế chuyển dịch "
        "theo hướng tăng tỷ trọng khu vực dịch vụ và công nghiệp - xây dựng.",
        "Thu nhập bình quân đầu người ước đạt {m} triệu đồng, tăng {p}% so với năm trước; đời sống vật chất "
        "và tinh thần của Nhân dân, nhất là đồng bào dân tộc thiểu số vùng cao núi đá, từng bước được cải "
        "thiện.",
        "Sản xuất công nghiệp duy trì ổn định; giá trị sản xuất công nghiệp ước đạt {m} tỷ đồng. Các dự án "
        "thủy điện nhỏ trên địa bàn {d} hoàn thành đưa vào vận hành, bổ sung nguồn điện cho lưới điện quốc "
        "gia.",
        "Hoạt động thương mại, dịch vụ phục hồi mạnh mẽ; tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu "
        "dùng ước đạt {m} tỷ đồng, tăng {p}% so với cùng kỳ.",
        "Kim ngạch xuất nhập khẩu qua các cửa khẩu trên địa bàn tỉnh ước đạt {n} triệu USD; công tác quản lý "
        "hoạt động xuất nhập khẩu tại cửa khẩu quốc tế Thanh Thủy được tăng cường, thông quan hàng hóa "
        "thuận lợi.",
        "Môi trường đầu tư kinh doanh tiếp tục được cải thiện; trong năm có {n} doanh nghiệp thành lập mới "
        "với "
        "tổng vốn đăng ký {m} tỷ đồng, tập trung vào lĩnh vực nông, lâm nghiệp, chế biến và du lịch.",
    ),
    "agriculture": (
        "Sản xuất nông, lâm nghiệp cơ bản ổn định. Tổng sản lượng lương thực có hạt ước đạt {n} nghìn tấn; "
        "diện tích lúa, ngô được gieo trồng đúng khung thời vụ, năng suất bình quân tăng so với năm trước.",
        "Các vùng sản xuất hàng hóa tập trung được duy trì và mở rộng: cam sành tại {d}, chè Shan tuyết tại "
        "{d2}, cây dược liệu dưới tán rừng tại các huyện vùng cao núi đá phía Bắc.",
        "Chương trình mỗi xã một sản phẩm (OCOP) tiếp tục được quan tâm; trong năm có thêm {n} sản phẩm được "
        "công nhận đạt từ 3 sao trở lên, nâng tổng số sản phẩm OCOP của tỉnh lên {n2} sản phẩm.",
        "Công tác phòng, chống dịch bệnh trên đàn gia súc, gia cầm được triển khai quyết liệt; không để dịch "
        "tả lợn châu Phi lây lan trên diện rộng. Tổng đàn gia súc ước đạt {n} nghìn con.",
        "Tỷ lệ che phủ rừng đạt {p}%; công tác quản lý, bảo vệ rừng và phòng cháy, chữa cháy rừng được chỉ "
        "đạo chặt chẽ, số vụ vi phạm Luật Lâm nghiệp giảm so với cùng kỳ.",
        "Chương trình mục tiêu quốc gia xây dựng nông thôn mới đạt kết quả tích cực; có thêm {n} xã đạt "
        "chuẩn "
        "nông thôn mới, trong đó {d} có thêm hai xã đạt chuẩn nông thôn mới nâng cao.",
    ),
    "tourism": (
        "Du lịch tiếp tục là điểm sáng của nền kinh tế; tổng lượt khách đến tỉnh ước đạt {n} nghìn lượt, "
        "tổng thu từ khách du lịch ước đạt {m} tỷ đồng, tăng {p}% so với năm trước.",
        "Công viên địa chất toàn cầu UNESCO Cao nguyên đá Đồng Văn được quảng bá rộng rãi; Lễ hội hoa tam "
        "giác mạch và các sự kiện văn hóa - du lịch thu hút đông đảo du khách trong và ngoài nước.",
        "Hạ tầng du lịch tại {d} được đầu tư nâng cấp; nhiều mô hình du lịch cộng đồng, homestay do đồng bào "
        "dân tộc thiểu số làm chủ phát triển hiệu quả, góp phần tạo việc làm và tăng thu nhập tại chỗ.",
    ),
    "budget": (
        "Tổng thu ngân sách nhà nước trên địa bàn năm {y} ước đạt {m} tỷ đồng, bằng {p}% dự toán Trung ương "
        "giao; trong đó thu nội địa ước đạt {m2} tỷ đồng, thu từ hoạt động xuất nhập khẩu đạt kế hoạch.",
        "Tổng chi ngân sách địa phương ước thực hiện {m} tỷ đồng; chi thường xuyên được điều hành chặt chẽ, "
        "tiết kiệm, bảo đảm kinh phí thực hiện các chính sách an sinh xã hội và nhiệm vụ quan trọng của "
        "tỉnh.",
        "Công tác quản lý thu được tăng cường; các cơ quan thuế đã rà soát, đôn đốc thu hồi nợ đọng thuế, "
        "chống thất thu ngân sách, nhất là trong lĩnh vực khai thác khoáng sản và kinh doanh bất động sản.",
        "Việc phân bổ dự toán bảo đảm đúng quy định của Luật Ngân sách nhà nước, ưu tiên nguồn lực cho các "
        "huyện nghèo, các xã đặc biệt khó khăn và các nhiệm vụ chi cho giáo dục, y tế, khoa học và công "
        "nghệ.",
        "Dự phòng ngân sách được bố trí theo đúng tỷ lệ quy định để chủ động ứng phó với thiên tai, dịch "
        "bệnh "
        "và các nhiệm vụ cấp bách phát sinh trong năm.",
    ),
    "investment": (
        "Tổng kế hoạch vốn đầu tư công năm {y} là {m} tỷ đồng; đến ngày 15 tháng 11, giá trị giải ngân đạt "
        "{p}% kế hoạch, cao hơn mức bình quân chung của cả nước.",
        "Các công trình trọng điểm được tập trung chỉ đạo; dự án đường cao tốc Tuyên Quang - Hà Giang (giai "
        "đoạn 1) qua địa bàn {d} cơ bản hoàn thành công tác giải phóng mặt bằng.",
        "Một số dự án còn chậm tiến độ do vướng mắc trong công tác bồi thường, hỗ trợ, tái định cư và điều "
        "kiện địa hình phức tạp, mùa mưa kéo dài; Ủy ban nhân dân tỉnh đã chỉ đạo tháo gỡ dứt điểm.",
        "Chủ đầu tư có trách nhiệm lập kế hoạch giải ngân chi tiết theo từng tháng, từng quý; cá thể hóa "
        "trách nhiệm người đứng đầu trong trường hợp giải ngân chậm, không đạt kế hoạch được giao.",
        "Việc bố trí vốn phải tập trung, có trọng tâm, trọng điểm, không dàn trải; ưu tiên thanh toán nợ "
        "đọng "
        "xây dựng cơ bản, các dự án chuyển tiếp và dự án dự kiến hoàn thành trong năm {ny}.",
    ),
    "society": (
        "Chất lượng giáo dục toàn diện tiếp tục được nâng lên; tỷ lệ học sinh tốt nghiệp trung học phổ thông "
        "đạt {p}%. Toàn tỉnh có thêm {n} trường đạt chuẩn quốc gia, nâng tỷ lệ trường đạt chuẩn lên {p2}%.",
        "Công tác chăm sóc sức khỏe Nhân dân được quan tâm; tỷ lệ người dân tham gia bảo hiểm y tế đạt {p}%; "
        "mạng lưới y tế cơ sở được củng cố, 100% trạm y tế xã có bác sĩ làm việc.",
        "Các chính sách giảm nghèo bền vững được triển khai đồng bộ; tỷ lệ hộ nghèo giảm {p} điểm phần trăm, "
        "riêng các huyện nghèo giảm bình quân trên 4 điểm phần trăm.",
        "Chương trình xóa nhà tạm, nhà dột nát hoàn thành vượt tiến độ; tổng số {n} căn nhà đã được xây mới "
        "và sửa chữa cho hộ nghèo, hộ cận nghèo trên địa bàn {d} và {d2}.",
        "Công tác giải quyết việc làm đạt kết quả khá; trong năm đã tạo việc làm mới cho {n} lao động, trong "
        "đó có hơn một nghìn lao động đi làm việc có thời hạn ở nước ngoài theo hợp đồng.",
        "Các hoạt động văn hóa, thể thao diễn ra sôi nổi; bản sắc văn hóa truyền thống của các dân tộc được "
        "bảo tồn và phát huy, gắn với phát triển du lịch cộng đồng.",
    ),
    "administration": (
        "Công tác cải cách hành chính được đẩy mạnh; chỉ số hài lòng của người dân, tổ chức đối với sự phục "
        "vụ của cơ quan hành chính nhà nước (SIPAS) tăng so với năm trước.",
        "Chuyển đổi số được triển khai quyết liệt; tỷ lệ hồ sơ thủ tục hành chính được giải quyết trực tuyến "
        "toàn trình đạt {p}%; hệ thống phòng họp không giấy tờ và hội nghị truyền hình được kết nối đến "
        "100% xã, phường, thị trấn.",
        "Việc sắp xếp tổ chức bộ máy, tinh giản biên chế được thực hiện theo đúng lộ trình; các cơ quan, đơn "
        "vị đã rà soát, kiện toàn chức năng, nhiệm vụ, bảo đảm hoạt động hiệu lực, hiệu quả.",
        "Công tác tiếp công dân, giải quyết khiếu nại, tố cáo được thực hiện nghiêm túc; các vụ việc phức "
        "tạp, kéo dài được tập trung giải quyết dứt điểm ngay tại cơ sở.",
    ),
    "security": (
        "Quốc phòng, an ninh được giữ vững; chủ quyền lãnh thổ, an ninh biên giới quốc gia được bảo đảm. Lực "
        "lượng chức năng phối hợp chặt chẽ với các địa phương của nước bạn trong quản lý đường biên, mốc "
        "giới.",
        "Trật tự, an toàn xã hội cơ bản ổn định; tai nạn giao thông giảm trên cả ba tiêu chí so với cùng kỳ. "
        "Các loại tội phạm về ma túy, mua bán người được đấu tranh, ngăn chặn hiệu quả.",
    ),
    "limits": (
        "Bên cạnh kết quả đạt được, tình hình kinh tế - xã hội còn một số hạn chế: quy mô kinh tế còn nhỏ, "
        "sức cạnh tranh thấp; sản xuất nông nghiệp còn phụ thuộc nhiều vào thời tiết.",
        "Tiến độ giải ngân vốn đầu tư công tại một số chủ đầu tư còn chậm; công tác chuẩn bị đầu tư chưa "
        "tốt, "
        "phải điều chỉnh nhiều lần.",
        "Thiên tai, mưa lũ, sạt lở đất gây thiệt hại lớn về người và tài sản tại {d}; việc khắc phục hậu quả "
        "và bố trí tái định cư cho các hộ dân vùng nguy cơ cao còn gặp nhiều khó khăn.",
        "Nguyên nhân chủ yếu là điều kiện tự nhiên khó khăn, địa hình chia cắt; nguồn lực đầu tư còn hạn "
        "chế; "
        "năng lực tham mưu, tổ chức thực hiện của một số cơ quan, đơn vị chưa đáp ứng yêu cầu.",
    ),
    "tasks": (
        "Tập trung chỉ đạo thực hiện quyết liệt, hiệu quả các nhiệm vụ, giải pháp phát triển kinh tế - xã "
        "hội "
        "năm {ny}; phấn đấu tốc độ tăng trưởng GRDP đạt {p}% trở lên.",
        "Tiếp tục cơ cấu lại ngành nông nghiệp gắn với xây dựng nông thôn mới; phát triển các sản phẩm chủ "
        "lực, "
        "có lợi thế, nâng cao giá trị gia tăng và sức cạnh tranh của nông sản.",
        "Đẩy nhanh tiến độ thực hiện và giải ngân vốn đầu tư công; tập trung tháo gỡ khó khăn, vướng mắc "
        "trong "
        "công tác giải phóng mặt bằng các dự án trọng điểm.",
        "Tăng cường kỷ luật, kỷ cương hành chính; nâng cao hiệu quả thực hiện chuyển đổi số, xây dựng chính "
        "quyền số, phục vụ người dân và doanh nghiệp ngày càng tốt hơn.",
        "Bảo đảm an sinh xã hội, chăm lo đời sống Nhân dân, nhất là người có công, hộ nghèo, đồng bào vùng "
        "sâu, vùng xa, vùng đặc biệt khó khăn; chủ động phòng, chống thiên tai.",
    ),
    "review": (
        "Ban Kinh tế - Ngân sách cơ bản nhất trí với báo cáo của Ủy ban nhân dân tỉnh; đồng thời đề nghị Ủy "
        "ban "
        "nhân dân tỉnh làm rõ thêm nguyên nhân của việc giải ngân chậm tại một số chủ đầu tư.",
        "Qua giám sát thực tế tại {d}, Ban nhận thấy việc triển khai các dự án đầu tư còn một số tồn tại "
        "trong "
        "công tác khảo sát, thiết kế; đề nghị các chủ đầu tư nghiêm túc rút kinh nghiệm.",
        "Ban đề nghị Hội đồng nhân dân tỉnh xem xét, thông qua dự thảo Nghị quyết với các nội dung như tờ "
        "trình của Ủy ban nhân dân tỉnh, đồng thời bổ sung yêu cầu báo cáo định kỳ sáu tháng một lần.",
        "Về dự toán thu ngân sách năm {ny}, Ban nhận thấy mức dự toán đề xuất là phù hợp với khả năng thực "
        "hiện, bảo đảm tính tích cực và vững chắc.",
    ),
    "voters": (
        "Cử tri {d} kiến nghị đầu tư nâng cấp tuyến đường liên xã đã xuống cấp nghiêm trọng, đi lại khó khăn "
        "vào mùa mưa. Sở Xây dựng đã tiếp thu và đưa vào danh mục dự kiến đầu tư giai đoạn 2026 - 2030.",
        "Cử tri {d} đề nghị sớm chi trả kinh phí hỗ trợ bảo vệ rừng cho các hộ nhận khoán. Nội dung này đã "
        "được giải quyết; kinh phí đã được chuyển về Ủy ban nhân dân các xã để chi trả cho người dân.",
        "Cử tri {d} phản ánh tình trạng thiếu giáo viên tại các điểm trường lẻ. Sở Giáo dục và Đào tạo đã "
        "điều động, bố trí giáo viên hợp đồng bảo đảm đủ định mức cho năm học mới.",
        "Cử tri {d} kiến nghị có chính sách hỗ trợ tiêu thụ nông sản cho người dân. Ủy ban nhân dân tỉnh đã "
        "chỉ đạo Sở Công Thương tổ chức các hội chợ, kết nối cung cầu và quảng bá sản phẩm trên sàn thương "
        "mại điện tử.",
        "Cử tri {d} đề nghị sớm di dời các hộ dân ra khỏi vùng có nguy cơ sạt lở cao. Ủy ban nhân dân huyện "
        "đang rà soát quỹ đất và lập phương án tái định cư tập trung, dự kiến hoàn thành trong quý II năm "
        "{ny}.",
    ),
}

ARTICLES = (
    "Thông qua dự toán thu ngân sách nhà nước trên địa bàn năm {ny} là {m} tỷ đồng; thu ngân sách địa "
    "phương được hưởng theo phân cấp và chi ngân sách địa phương theo các biểu kèm theo Nghị quyết này.",
    "Phân bổ dự toán chi ngân sách cấp tỉnh và mức bổ sung cân đối, bổ sung có mục tiêu từ ngân sách cấp "
    "tỉnh cho ngân sách các huyện, thành phố theo Biểu số 02 và Biểu số 03 kèm theo.",
    "Giao Ủy ban nhân dân tỉnh tổ chức thực hiện Nghị quyết; giao dự toán cho các cơ quan, đơn vị và địa "
    "phương trước ngày 31 tháng 12 năm {y}, bảo đảm đúng quy định.",
    "Thường trực Hội đồng nhân dân tỉnh, các Ban của Hội đồng nhân dân tỉnh, các Tổ đại biểu và đại biểu "
    "Hội đồng nhân dân tỉnh giám sát việc thực hiện Nghị quyết.",
    "Trong quá trình điều hành, trường hợp có biến động lớn về thu ngân sách, Ủy ban nhân dân tỉnh thống "
    "nhất với Thường trực Hội đồng nhân dân tỉnh để điều chỉnh và báo cáo Hội đồng nhân dân tỉnh tại kỳ họp "
    "gần nhất.",
    "Nghị quyết này có hiệu lực kể từ ngày 01 tháng 01 năm {ny}.",
)

BASES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;",
    "Căn cứ Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015;",
    "Căn cứ Luật Đầu tư công ngày 29 tháng 11 năm 2024;",
    "Căn cứ Nghị định số 163/2016/NĐ-CP ngày 21 tháng 12 năm 2016 của Chính phủ quy định chi tiết thi hành "
    "một số điều của Luật Ngân sách nhà nước;",
    "Xét Tờ trình của Ủy ban nhân dân tỉnh; Báo cáo thẩm tra của Ban Kinh tế - Ngân sách Hội đồng nhân dân "
    "tỉnh; ý kiến thảo luận của đại biểu Hội đồng nhân dân tỉnh tại kỳ họp.",
)

PROJECT_KINDS = (
    "Cải tạo, nâng cấp đường giao thông liên xã", "Xây dựng trường phổ thông dân tộc bán trú",
    "Nâng cấp trạm y tế xã", "Kè chống sạt lở bờ sông", "Xây dựng hồ chứa nước sinh hoạt",
    "Cầu treo dân sinh", "Hạ tầng cụm công nghiệp", "Trụ sở làm việc Ủy ban nhân dân xã",
    "Đường nội đồng và kênh mương thủy lợi", "Sắp xếp, ổn định dân cư vùng thiên tai",
)  # fmt: skip

"""Interface text of the web app, Vietnamese and English. Answers come in the question's language; this
is only the chrome around them. Keys are checked at import so a missing translation fails loudly."""

from __future__ import annotations

LANGUAGES = ("vi", "en")

# Checked against the sample corpus: each gets a cited answer (the second has a follow-up: "Còn năm 2030 thì sao?").
EXAMPLES = (
    "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?",
    "Điện Biên đặt mục tiêu tỷ lệ người dân thực hiện dịch vụ công trực tuyến đạt bao nhiêu phần trăm vào năm 2025?",
    "Nghị quyết 12-NQ/TU của Tỉnh ủy Điện Biên được ban hành ngày nào?",
    "Who signed Lai Chau's plan 2943/KH-UBND?",
    "What does Quang Binh plan for administrative procedure reform by 2025?",
)

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "page_title": "Trợ lý CCHC",
        "heading": "Trợ lý cải cách hành chính (CCHC)",
        "intro": "Hỏi về các văn bản cải cách hành chính của các tỉnh. Mỗi câu trả lời dẫn nguồn đến đúng "
                 "đoạn văn bản; bấm vào một nguồn để xem đoạn gốc.",
        "other_language": "English",
        "tab_chat": "Hỏi đáp",
        "tab_documents": "Tài liệu",
        "question_placeholder": "Nhập câu hỏi (tiếng Việt hoặc tiếng Anh) rồi nhấn Enter…",
        "send": "Gửi",
        "new_conversation": "Cuộc hội thoại mới",
        "province": "Tỉnh, thành phố",
        "all_provinces": "Tất cả tỉnh, thành phố",
        "documents_filter": "Chỉ tìm trong các văn bản",
        "mode": "Cách trả lời",
        "mode_extractive": "Trích xuất (không dùng LLM)",
        "mode_llm": "LLM (có kiểm chứng)",
        "mode_llm_missing": "Chưa cấu hình LLM: chỉ có chế độ trích xuất.",
        "chat_label": "Hội thoại",
        "thinking": "Đang tìm trong tài liệu…",
        "citation": "Nguồn",
        "related": "Đoạn liên quan (không phải căn cứ)",
        "meta_title": "Tiêu đề",
        "meta_number": "Số hiệu",
        "meta_province": "Tỉnh, thành phố",
        "meta_date": "Ngày ban hành",
        "meta_file": "Tệp",
        "meta_heading": "Mục",
        "unknown": "không rõ",
        "note": "Ghi chú",
        "error_internal": "Đã có lỗi ngoài dự kiến khi trả lời. Vui lòng thử lại; nếu vẫn lỗi, báo cho quản trị viên.",
        "filter_empty": "Bộ lọc không khớp văn bản nào: hãy bỏ bớt điều kiện lọc.",
        "feedback_heading": "Góp ý",
        "feedback_hint": "Bấm 👍 hoặc 👎 dưới một câu trả lời để đánh giá. Có thể thêm góp ý rồi bấm “Gửi góp ý”.",
        "comment": "Góp ý (không bắt buộc)",
        "send_comment": "Gửi góp ý",
        "feedback_saved": "Đã ghi nhận đánh giá. Cảm ơn bạn!",
        "comment_saved": "Đã ghi nhận góp ý. Cảm ơn bạn!",
        "feedback_nothing": "Chưa có câu trả lời nào để góp ý.",
        "documents_heading": "Các văn bản đã nạp",
        "documents_summary": "{documents} văn bản, {chunks} đoạn.",
        "col_file": "Tệp",
        "col_title": "Tiêu đề",
        "col_type": "Loại",
        "col_number": "Số hiệu",
        "col_province": "Tỉnh, thành phố",
        "col_date": "Ngày ban hành",
        "col_period": "Giai đoạn",
        "col_signer": "Người ký",
        "col_chunks": "Số đoạn",
        "col_ingested": "Nạp lúc",
        "refresh": "Tải lại danh sách",
        "admin_heading": "Thêm tài liệu (quản trị)",
        "admin_disabled": "Thêm tài liệu qua trang web đang tắt: đặt biến môi trường CCHC_ADMIN_PASSWORD để bật.",
        "admin_link": "Quản trị viên thêm tài liệu ở trang quản trị (cần đăng nhập):",
        "admin_page_title": "Trợ lý CCHC — quản trị",
        "admin_intro": "Thêm tài liệu vào chỉ mục. Chỉ các tệp gửi lên từ máy của bạn; tổng dung lượng lưu trữ "
                       "tệp tải lên tối đa {cap:g} MB.",
        "admin_login": "Đăng nhập quản trị: tên đăng nhập \"admin\", mật khẩu là giá trị CCHC_ADMIN_PASSWORD.",
        "back_to_app": "Về trang hỏi đáp",
        "upload": "Tệp cần thêm ({types}; tối đa {mb:g} MB mỗi tệp)",
        "ingest": "Nạp vào chỉ mục",
        "ingest_progress": "Đang nạp",
        "not_admin": "Cần đăng nhập quản trị.",
        "no_files": "Chưa chọn tệp nào.",
        "ingest_done": "Đã nạp: thêm {added}, cập nhật {updated}, không đổi {unchanged}, bỏ qua {skipped}.",
        "rejected": "Bị từ chối",
        "filters": "Bộ lọc: tỉnh, thành phố, văn bản, cách trả lời",
        "question_label": "Câu hỏi",
        "stop": "Dừng",
        "stopped": "Đã dừng câu trả lời.",
        "doc_dated": "ngày {date}",
        "full_text": "Xem toàn văn",
        "document_missing": "Không có văn bản này trong chỉ mục.",
        "filter_excludes": "Bộ lọc đang loại trừ văn bản trả lời được câu hỏi này ({documents}). Bấm “Tìm trong "
                           "tất cả văn bản” để hỏi lại không lọc.",
        "search_all": "Tìm trong tất cả văn bản",
        "suggestions": "Hỏi tiếp",
        "ingest_running": "Đang nạp {n} tệp…",
        "ingest_new": "Các văn bản mới có thể hỏi ngay.",
        "ingest_nothing_new": "Không có văn bản nào mới.",
        "upload_name_length": "Tên tệp phải dài từ 1 đến {max} ký tự.",
        "upload_name_folder": "Tên tệp không được chứa thư mục hay “..”.",
        "upload_name_chars": "Tên tệp chỉ được gồm chữ, số, khoảng trắng và . _ - ( ) + , và phải bắt đầu bằng chữ "
                             "hoặc số.",
        "upload_type": "Loại tệp {suffix} không được hỗ trợ; chỉ nhận {supported}.",
        "upload_twice": "Tệp được gửi hai lần trong một lần tải lên.",
        "upload_outside": "Tên tệp sẽ nằm ngoài thư mục tải lên.",
        "upload_full": "Không đủ chỗ: tệp đã tải lên chiếm {used:.1f} MB trong {cap:g} MB cho phép "
                       "(CCHC_MAX_UPLOAD_STORAGE_MB).",
        "upload_not_file": "Không phải tệp thông thường.",
        "upload_empty": "Tệp rỗng.",
        "upload_too_big": "Tệp {size:.1f} MB, vượt giới hạn {max:g} MB (CCHC_MAX_FILE_MB).",
        "upload_duplicate": "trùng nội dung với {source}, đã có trong chỉ mục.",
        "upload_unreadable": "Không đọc được nội dung tệp (hỏng, được bảo vệ, hoặc không có chữ).",
        "index_busy": "Chỉ mục đang bận hoặc không truy cập được; chưa nạp tệp nào. Vui lòng thử lại sau.",
    },
    "en": {
        "page_title": "CCHC assistant",
        "heading": "Administrative reform (CCHC) assistant",
        "intro": "Ask about provincial administrative-reform documents. Every answer cites the exact passage; "
                 "click a source to see the original text.",
        "other_language": "Tiếng Việt",
        "tab_chat": "Chat",
        "tab_documents": "Documents",
        "question_placeholder": "Type a question (Vietnamese or English) and press Enter…",
        "send": "Send",
        "new_conversation": "New conversation",
        "province": "Province",
        "all_provinces": "All provinces",
        "documents_filter": "Search only these documents",
        "mode": "Answer mode",
        "mode_extractive": "Extractive (no LLM)",
        "mode_llm": "LLM (verified)",
        "mode_llm_missing": "No LLM configured: extractive mode only.",
        "chat_label": "Conversation",
        "thinking": "Searching the documents…",
        "citation": "Source",
        "related": "Related passage (not support)",
        "meta_title": "Title",
        "meta_number": "Number",
        "meta_province": "Province",
        "meta_date": "Issued",
        "meta_file": "File",
        "meta_heading": "Section",
        "unknown": "unknown",
        "note": "Note",
        "error_internal": "Something unexpected went wrong while answering. Please try again; if it persists, "
                          "tell the administrator.",
        "filter_empty": "The filter matches no document: remove some of its conditions.",
        "feedback_heading": "Feedback",
        "feedback_hint": "Click 👍 or 👎 under an answer to rate it. You can add a comment and click “Send comment”.",
        "comment": "Comment (optional)",
        "send_comment": "Send comment",
        "feedback_saved": "Rating recorded. Thank you!",
        "comment_saved": "Comment recorded. Thank you!",
        "feedback_nothing": "There is no answer to give feedback on yet.",
        "documents_heading": "Ingested documents",
        "documents_summary": "{documents} documents, {chunks} chunks.",
        "col_file": "File",
        "col_title": "Title",
        "col_type": "Type",
        "col_number": "Number",
        "col_province": "Province",
        "col_date": "Issued",
        "col_period": "Period",
        "col_signer": "Signer",
        "col_chunks": "Chunks",
        "col_ingested": "Ingested at",
        "refresh": "Reload the list",
        "admin_heading": "Add documents (admin)",
        "admin_disabled": "Adding documents through the page is off: set CCHC_ADMIN_PASSWORD to turn it on.",
        "admin_link": "Administrators add documents on the admin page (login required):",
        "admin_page_title": "CCHC assistant — admin",
        "admin_intro": "Add documents to the index. Only files sent from your computer; uploaded files may take "
                       "{cap:g} MB of storage in all.",
        "admin_login": "Admin login: user name \"admin\", the password is the value of CCHC_ADMIN_PASSWORD.",
        "back_to_app": "Back to the assistant",
        "upload": "Files to add ({types}; at most {mb:g} MB each)",
        "ingest": "Ingest",
        "ingest_progress": "Ingesting",
        "not_admin": "Admin login required.",
        "no_files": "No file chosen.",
        "ingest_done": "Ingested: {added} added, {updated} updated, {unchanged} unchanged, {skipped} skipped.",
        "rejected": "Rejected",
        "filters": "Filters: province, documents, answer mode",
        "question_label": "Question",
        "stop": "Stop",
        "stopped": "Answer stopped.",
        "doc_dated": "of {date}",
        "full_text": "Full text",
        "document_missing": "This document is not in the index.",
        "filter_excludes": "The filter excludes the documents that answer this question ({documents}). Click "
                           "“Search all documents” to ask again without it.",
        "search_all": "Search all documents",
        "suggestions": "Ask next",
        "ingest_running": "Ingesting {n} file(s)…",
        "ingest_new": "New documents can be asked about right away.",
        "ingest_nothing_new": "No new document.",
        "upload_name_length": "The file name must be 1 to {max} characters long.",
        "upload_name_folder": "The file name must be a plain name, without folders or “..”.",
        "upload_name_chars": "The file name may contain only letters, digits, spaces and . _ - ( ) + , and must "
                             "start with a letter or digit.",
        "upload_type": "Unsupported file type {suffix}; supported: {supported}.",
        "upload_twice": "The file was given twice in one upload.",
        "upload_outside": "The file name would be stored outside the upload folder.",
        "upload_full": "No room: uploaded documents take {used:.1f} MB of the {cap:g} MB allowed "
                       "(CCHC_MAX_UPLOAD_STORAGE_MB).",
        "upload_not_file": "Not a regular file.",
        "upload_empty": "The file is empty.",
        "upload_too_big": "The file is {size:.1f} MB; the limit is {max:g} MB (CCHC_MAX_FILE_MB).",
        "upload_duplicate": "same content as {source}, already in the index.",
        "upload_unreadable": "The file's text could not be read (damaged, protected, or without text).",
        "index_busy": "The index is busy or unreachable; no file was ingested. Please try again later.",
    },
}

if set(TEXT) != set(LANGUAGES) or set(TEXT["vi"]) != set(TEXT["en"]):
    missing = set(TEXT["vi"]) ^ set(TEXT["en"])
    raise RuntimeError(f"app_text: the vi and en catalogs must have the same keys; differing: {sorted(missing)}")


def in_language(message: str, language: str) -> str:
    """The page's half of a bilingual domain message ("The question is empty. / Câu hỏi đang trống."): the
    answering layers write both because they do not know the page; a one-language message is kept whole."""
    parts = message.split(" / ")
    if len(parts) != 2:
        return message
    english, vietnamese = parts
    return vietnamese if language == "vi" else english


def texts(language: str) -> dict[str, str]:
    if language not in TEXT:
        raise ValueError(f"Unknown interface language {language!r}. Valid languages are: {', '.join(LANGUAGES)}")
    return TEXT[language]

"""Fixtures for the answering stages (understand → retrieve → answer).

Two worlds:
- fast: a tiny inline corpus ingested with the hashing fake embedder (``tiny_pipeline``), for wiring and
  rule tests that must not load the model;
- ``model``: the sample corpus (data/corpus) ingested once per session with the real e5 embedder into a
  temporary Chroma store (``corpus_settings`` / ``corpus_pipeline``). ``tests/test_cli_answer.py`` points
  the CLI at the same store via ``build_corpus_index``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.pipeline import Pipeline, build_index, build_ingestor, build_pipeline
from assistant.settings import Settings
from tests.conftest import CORPUS_DIR
from tests.fakes import HashingEmbedder

# The sample corpus, by what each file is (tests/ingest/test_metadata.py has the full metadata table).
DIEN_BIEN_RESOLUTION = "000_26a92794eaf00280.txt"  # Nghị quyết 12-NQ/TU, Điện Biên
SON_LA_RESOLUTION = "001_3ae45ea2c423948d.txt"  # Nghị quyết 03-NQ/TU, Sơn La
LAI_CHAU_DIRECTIVE = "002_ac6b037d9fc896f6.txt"  # Chỉ thị, Lai Châu (no number)
QUANG_BINH_PLAN = "003_66ba4e7d49b2dca2.txt"  # Kế hoạch (QĐ 3028/QĐ-UBND), Quảng Bình
LAI_CHAU_PLAN = "004_b20915e92c1cf682.txt"  # Kế hoạch 2943/KH-UBND, Lai Châu
CORPUS_PROVINCES = frozenset({"Điện Biên", "Sơn La", "Lai Châu", "Quảng Bình"})

CORPUS_COLLECTION = "qacorpus"


def build_corpus_index(base: Path, embedder) -> Settings:
    """Settings for a Chroma store under ``base`` holding data/corpus, embedded with ``embedder``.

    Idempotent: a second call on the same ``base`` finds every document unchanged and embeds nothing, so
    fixtures in different directories can share one store per session without sharing fixture state.
    """
    settings = Settings(chroma_path=base / "corpus-chroma", collection=CORPUS_COLLECTION)
    report = build_ingestor(settings, embedder=embedder).run([CORPUS_DIR])
    assert not report.skipped, report.summary()
    return settings


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Settings:
    return build_corpus_index(tmp_path_factory.getbasetemp(), real_embedder)


@pytest.fixture(scope="session")
def corpus_pipeline(corpus_settings: Settings, real_embedder) -> Pipeline:
    """The real pipeline (build_pipeline) over the sample corpus, sharing the session's embedder."""
    return build_pipeline(corpus_settings, embedder=real_embedder)


# --- the fast world -------------------------------------------------------------------------------
# Three short, made-up documents of three provinces. The numbers are chosen to differ from the sample
# corpus, so a test cannot pass by accident on text it did not ingest.
TINY_DOCS = {
    "100_lai_chau.txt": """ỦY BAN NHÂN DÂN
TỈNH LAI CHÂU

Số: 15/KH-UBND

Lai Châu, ngày 10 tháng 3 năm 2022

KẾ HOẠCH
Cải cách hành chính tỉnh Lai Châu năm 2022

1. Cải cách thủ tục hành chính

- Đến năm 2025, cắt giảm tối thiểu 20% chi phí tuân thủ quy định liên quan đến hoạt động kinh doanh.

- Tỷ lệ hồ sơ giải quyết trực tuyến đạt 50% vào năm 2025 và đạt 55% vào năm 2030.

2. Cải cách chế độ công vụ

- Tổ chức tập huấn cho cán bộ, công chức cấp xã về kỹ năng giao tiếp.
""",
    "101_son_la.txt": """BAN CHẤP HÀNH ĐẢNG BỘ TỈNH SƠN LA

Số: 07-NQ/TU

Sơn La, ngày 5 tháng 1 năm 2022

NGHỊ QUYẾT
Về đẩy mạnh cải cách hành chính tỉnh Sơn La

1. Rút ngắn thời gian giải quyết thủ tục hành chính ít nhất 25% so với quy định.

2. Giảm thời gian chờ đợi của người dân xuống còn tối đa 15 phút mỗi lượt giao dịch.
""",
    "102_quang_binh.txt": """ỦY BAN NHÂN DÂN
TỈNH QUẢNG BÌNH

Số: 88/KH-UBND

KẾ HOẠCH
Cải cách hành chính tỉnh Quảng Bình giai đoạn 2021-2030

- Mức độ hài lòng của người dân, doanh nghiệp về giải quyết thủ tục hành chính đạt tối thiểu 90% vào năm 2025.

- Cắt giảm tối thiểu 30% chi phí tuân thủ quy định đến năm 2025.
""",
}


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The real wiring over ``TINY_DOCS``, with the hashing fake embedder (no model). Read-only: do not ingest
    into it."""
    base = tmp_path_factory.mktemp("tiny")
    corpus = base / "corpus"
    corpus.mkdir()
    for name, text in TINY_DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(chroma_path=base / "chroma", collection="tiny", embedding_model="fake")
    embedder = HashingEmbedder()
    report = build_ingestor(settings, embedder=embedder).run([corpus])
    assert sorted(report.added) == sorted(TINY_DOCS), report.summary()
    return Pipeline(settings, build_index(settings), embedder)

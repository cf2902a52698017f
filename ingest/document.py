"""Dataclasses passed between the ingestion stages (load → clean → metadata → chunk).

Offsets: every ``start``/``end`` in this project indexes ``SourceDocument.text``, the file's decoded text
in Unicode NFC. Quotes shown to users are slices of that text, so they keep the original spelling.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class SourceDocument:
    """A file as decoded by the loader."""

    source: str  # the file name, the document's identity in the index (e.g. 004_b20915e92c1cf682.txt)
    path: str
    text: str  # decoded, NFC
    encoding: str  # what the loader detected (utf-8, utf-8-sig, utf-16, cp1258, pdf, docx, html)

    def __post_init__(self) -> None:
        if not self.source:
            raise ValueError("SourceDocument.source must be a non-empty file name")

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Span:
    """A half-open character range of ``SourceDocument.text``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"Span must satisfy 0 <= start <= end. Currently start={self.start}, end={self.end}")


@dataclass(frozen=True)
class CleanDocument:
    """A document with web chrome removed: ``body`` lists the spans of ``source.text`` that are content."""

    source: SourceDocument
    body: tuple[Span, ...]
    removed: tuple[Span, ...] = ()

    def body_text(self, separator: str = "\n") -> str:
        return separator.join(self.source.text[s.start : s.end] for s in self.body)


@dataclass(frozen=True)
class DocumentMetadata:
    """What a staff member needs to identify a document. Every field may be unknown (None)."""

    # the issuer's province, as ingest/provinces.py names it ("Lai Châu", "Huế"); None for a national body
    province: str | None = None
    # e.g. "UBND tỉnh Lai Châu", "HĐND thành phố Huế", "Tỉnh ủy Điện Biên", "Chủ tịch UBND thành phố Cần Thơ",
    # "Chính phủ", "Bộ Xây dựng": the letterhead's body (the authority line's, when a chairman decides)
    issuing_body: str | None = None
    doc_type: str | None = None  # Nghị quyết, Chỉ thị, Kế hoạch, Quyết định, ...
    number: str | None = None  # e.g. "2943/KH-UBND", "12-NQ/TU"
    issue_date: str | None = None  # ISO yyyy-mm-dd
    # ISO yyyy-mm-dd: when the document takes effect ("có hiệu lực từ ngày …"; "kể từ ngày ký" is the issue date)
    effective_date: str | None = None
    period: str | None = None  # e.g. "2021-2025", "2021-2030"
    signer: str | None = None  # the name under the signature, one space between words: "Dương Đức Tuấn"
    signer_title: str | None = None  # the position above the signature, as written: "PHÓ BÍ THƯ"
    # the document's own title: the type line and the trích yếu ("Quyết định về việc ban hành Kế hoạch …", an
    # all-capitals trích yếu in sentence case), else a news page's headline
    title: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DocumentMetadata:
        """Missing or empty fields are None: rows stored before a field existed still load."""
        return cls(**{k: (data.get(k) or None) for k in cls.__dataclass_fields__})

    def label(self) -> str:
        """Short human reference: 'Kế hoạch 2943/KH-UBND (20/09/2021), Lai Châu'."""
        head = " ".join(p for p in (self.doc_type, self.number) if p) or (self.title or "")
        date = _vn_date(self.issue_date)
        parts = [head + (f" ({date})" if date else "")]
        if self.province:
            parts.append(self.province)
        return ", ".join(p for p in parts if p)


def _vn_date(iso: str | None) -> str:
    if not iso or len(iso) != 10:
        return iso or ""
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: a body slice of one document plus the context it needs to stand alone."""

    source: str
    # content hash + ingest recipe (vectorstore/ingestor.py); only chunks of a document's current version are served
    doc_version: str
    index: int
    start: int
    end: int
    text: str  # == SourceDocument.text[start:end]
    heading_path: tuple[str, ...] = ()
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    n_tokens: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"Chunk needs 0 <= start < end. Currently start={self.start}, end={self.end}")
        if len(self.text) != self.end - self.start:
            raise ValueError(
                f"Chunk text length {len(self.text)} does not match its span {self.start}-{self.end}"
            )

    @property
    def chunk_id(self) -> str:
        return f"{self.source}::{self.doc_version}::{self.index:04d}"

    def context_header(self) -> str:
        """Province, document and heading path, prepended for embedding and keyword search (not quoted)."""
        m = self.metadata
        bits = [m.province and f"Tỉnh {m.province}", m.label() or None, " > ".join(self.heading_path) or None]
        return " | ".join(b for b in bits if b)

    def search_text(self) -> str:
        header = self.context_header()
        return f"{header}\n{self.text}" if header else self.text

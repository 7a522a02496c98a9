"""SQLite log of every answer the bot gave (refusals included) and the 👍/👎 votes on them.

One row per answer: question, answer text, citations as JSON, who asked, where, when. Votes point at
an answer row, one per user (a second click changes it). The Sources button and thread follow-ups
read answers back from here, so they keep working after a restart. `summary()` is `bot.py feedback`.
Refused questions are listed from the one log of them, the engine's gap log (footnote.gaps)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import asdict
from pathlib import Path

from footnote.answering.answer import Answer
from footnote.gaps import GapLog
from footnote.settings import Settings

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    asked_at REAL NOT NULL,
    user_id INTEGER NOT NULL,
    channel_id INTEGER,
    message_id INTEGER,          -- the bot's answer message; a thread opened from it has the same id
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    found INTEGER NOT NULL,
    citations TEXT NOT NULL,     -- JSON list of Citation dicts
    closest TEXT
);
CREATE INDEX IF NOT EXISTS answers_channel ON answers (channel_id);
CREATE INDEX IF NOT EXISTS answers_message ON answers (message_id);
CREATE TABLE IF NOT EXISTS votes (
    answer_id INTEGER NOT NULL REFERENCES answers (id),
    user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL,       -- +1 or -1
    voted_at REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
"""


class FeedbackLog:
    """Thread-safe: the bot calls it through asyncio.to_thread, so calls may come from any worker.

    Best effort: a log that cannot be written (read-only INDEX_DIR, full disk) never costs an answer.
    Writes then return None (or False) after one warning line; reads answer from a read-only view when
    the file exists, else as if it were empty. It tries again on each call, so it recovers by itself."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._writable = False
        self._failing = False  # warned already: one line per outage, not one per question
        with self._lock:
            self._connect()

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None and self._writable:
            return self._db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
            except BaseException:
                db.close()
                raise
        except (sqlite3.Error, OSError) as exc:
            self._failed("open", exc)
            if self._db is None and self.path.is_file():  # answer old Sources buttons from what is there
                try:
                    self._db = sqlite3.connect(
                        f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
                    )
                except sqlite3.Error:
                    self._db = None
            return self._db
        if self._db is not None:
            self._db.close()
        self._db, self._writable = db, True
        return db

    def _failed(self, what: str, exc: BaseException) -> None:
        if not self._failing:
            log.warning(
                "feedback log: cannot %s %s (%s); answers go on without it: make it writable or free disk space",
                what,
                self.path,
                exc,
            )
        self._failing = True

    def _write(self, sql: str, params: tuple) -> sqlite3.Cursor | None:
        with self._lock:
            db = self._connect()
            if db is None or not self._writable:
                return None
            try:
                cur = db.execute(sql, params)
            except (sqlite3.Error, OSError) as exc:
                self._failed("write", exc)
                return None
            self._failing = False
            return cur

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            db = self._connect()
            if db is None:
                return []
            try:
                return db.execute(sql, params).fetchall()
            except (sqlite3.Error, OSError) as exc:
                self._failed("read", exc)
                return []

    def record_answer(self, answer: Answer, user_id: int, channel_id: int | None) -> int | None:
        """The answer's row id, or None when it could not be stored."""
        citations = json.dumps([asdict(c) for c in answer.citations], ensure_ascii=False)
        cur = self._write(
            "INSERT INTO answers (asked_at, user_id, channel_id, question, answer, found, citations, closest)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                user_id,
                channel_id,
                answer.question,
                answer.answer,
                int(answer.found),
                citations,
                answer.closest,
            ),
        )
        return None if cur is None else int(cur.lastrowid)

    def set_message(self, answer_id: int, message_id: int) -> None:
        self._write("UPDATE answers SET message_id = ? WHERE id = ?", (message_id, answer_id))

    def record_vote(self, answer_id: int, user_id: int, vote: int) -> bool:
        """Store (or change) a user's vote; False when the answer is unknown or the vote not stored."""
        if not self._read("SELECT 1 FROM answers WHERE id = ?", (answer_id,)):
            return False
        return (
            self._write(
                "INSERT INTO votes (answer_id, user_id, vote, voted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote, "
                "voted_at = excluded.voted_at",
                (answer_id, user_id, vote, time.time()),
            )
            is not None
        )

    def citations(self, answer_id: int) -> list[dict] | None:
        rows = self._read("SELECT citations FROM answers WHERE id = ?", (answer_id,))
        return json.loads(rows[0][0]) if rows else None

    def last_question(self, thread_id: int) -> str | None:
        """The latest question asked in a thread, or the one whose answer the thread was opened from."""
        rows = self._read(
            "SELECT question FROM answers WHERE channel_id = ? OR message_id = ? ORDER BY id DESC LIMIT 1",
            (thread_id, thread_id),
        )
        return rows[0][0] if rows else None

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._read(sql, params)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
            self._db = None


def report(settings: Settings, recent: int = 10) -> dict:
    """Answer and vote counts, the latest 👎 answers and refused questions (all zero before the bot's first answer)."""
    path = settings.feedback_path
    answered = refused = up = down = 0
    downvoted: list[tuple] = []
    if path.exists():  # read only: `bot.py feedback` must not create the bot's log
        log = FeedbackLog(path)
        try:
            # rows() is empty when the log cannot be read (one warning said why): counts stay 0
            answered, refused = (
                log.rows("SELECT COALESCE(SUM(found), 0), COALESCE(SUM(1 - found), 0) FROM answers") or [(0, 0)]
            )[0]
            up, down = (
                log.rows("SELECT COALESCE(SUM(vote > 0), 0), COALESCE(SUM(vote < 0), 0) FROM votes") or [(0, 0)]
            )[0]
            downvoted = log.rows(
                "SELECT a.question, a.answer FROM votes v JOIN answers a ON a.id = v.answer_id "
                "WHERE v.vote < 0 ORDER BY v.voted_at DESC LIMIT ?",
                (recent,),
            )
        finally:
            log.close()
    return {
        "path": str(path),
        "questions": answered + refused,
        "answered": answered,
        "refused": refused,
        "votes": {"up": up, "down": down},
        "downvoted": [{"question": q, "answer": a} for q, a in downvoted],
        "gaps": GapLog(settings.gaps_path).recent(recent),
    }


def summary(settings: Settings, recent: int = 10) -> str:
    """`report()` as plain text."""
    if not settings.feedback_path.exists():
        return f"No feedback yet ({settings.feedback_path} does not exist): the bot writes it as people ask questions."
    data = report(settings, recent)
    lines = [
        f"Feedback log: {data['path']}",
        f"{data['questions']} questions: {data['answered']} answered, {data['refused']} refused (coverage gaps)",
        f"Votes: {data['votes']['up']} 👍, {data['votes']['down']} 👎",
    ]
    if data["downvoted"]:
        lines.append("Latest 👎 answers:")
        lines += [
            f"  - {d['question']!r} -> {d['answer'].splitlines()[0][:100] if d['answer'] else '(empty)'}"
            for d in data["downvoted"]
        ]
    if data["gaps"]:
        lines.append("Latest refused questions (articles to add? `bot.py gaps` lists them all):")
        lines += [f"  - {g['question']!r} (closest: {g['closest'] or 'none'})" for g in data["gaps"]]
    return "\n".join(lines)

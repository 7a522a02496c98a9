"""Coverage gaps: every refused question (question, time, best score, closest article) in SQLite."""

from __future__ import annotations

import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path

log = logging.getLogger(__name__)

_SCHEMA = """CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY, asked_at REAL NOT NULL, question TEXT NOT NULL,
    best_score REAL, closest TEXT)"""


class GapLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._failing = False  # warned already: one line per outage, not one per question

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=5)
        conn.execute(_SCHEMA)
        return conn

    def record(self, question: str, best_score: float | None, closest: str | None) -> None:
        """Log a refusal; a log we cannot write (read-only or full disk) must never cost the answer."""
        try:
            with closing(self._connect()) as conn, conn:
                conn.execute(
                    "INSERT INTO gaps (asked_at, question, best_score, closest) VALUES (?, ?, ?, ?)",
                    (time.time(), question, best_score, closest),
                )
        except (sqlite3.Error, OSError) as exc:
            if not self._failing:
                log.warning("coverage gaps not recorded (%s): check that %s is writable and has space", exc, self.path)
            self._failing = True
            return
        self._failing = False

    def recent(self, limit: int = 50) -> list[dict]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT asked_at, question, best_score, closest FROM gaps ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [{"asked_at": a, "question": q, "best_score": s, "closest": c} for a, q, s, c in rows]

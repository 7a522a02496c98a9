"""ANSWER_MODE=llm: a model phrases the answer over the engine's candidate sentences; Footnote checks it.

The model gets the question and the top candidates, numbered, and replies with statements that each
name the sentences they rest on (llm_reply.py). Before anything is shown, a statement is dropped when it
cites a number it was not given, cites nothing, holds a number, date or name its sentences lack
(llm_verify.py), or cites a sentence whose file no longer holds it at its offsets. Quotes are rendered
from the index, never from the model. If nothing survives, or the server fails in any way, the
extractive answer stands. The engine runs this only where its refusal classifier answers, so the
model can add refusals ("not in the articles") but never answers a question the classifier refuses."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from footnote.answering.answer import Answer, Citation
from footnote.answering.compose import refusal_text
from footnote.answering.llm_client import ChatClient, LLMError
from footnote.answering.llm_reply import (
    ANSWER_SCHEMA,
    REWRITE_SCHEMA,
    Candidate,
    Statement,
    answer_messages,
    parse_reply,
    parse_rewrite,
    rewrite_messages,
)
from footnote.answering.llm_verify import unsupported_in_statement
from footnote.atomic import write_bytes
from footnote.settings import Settings

log = logging.getLogger(__name__)

CANDIDATES = 8  # sentences sent per question: the ranked top, which holds the answer when any does
MAX_STATEMENTS = 5
MAX_STATEMENT_CHARS = 500
DROP_REASONS = ("unknown_id", "no_citation", "unsupported", "moved", "empty")


class LLMAnswerer:
    """Thread-safe (the bot asks from worker threads): the counters and the last error sit under a lock."""

    def __init__(self, settings: Settings, client: ChatClient | None = None) -> None:
        self.client = client or ChatClient(
            settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout
        )
        self.log_content = settings.log_content
        self.state_path = settings.index_dir / "llm-status.json"  # the last error, for `bot.py status`
        self.dropped: Counter[str] = Counter()  # statements, by reason
        self.outcomes: Counter[str] = Counter()  # answered, refused, all_dropped, failed, rewritten
        self._lock = threading.Lock()
        self._last_error: dict | None = None

    # -- follow-ups ----------------------------------------------------------------------------
    def standalone(self, question: str, previous: str) -> str | None:
        """The follow-up rewritten to stand alone, or None when the model failed (the caller then goes
        the offline way: the previous question joins the search text)."""
        try:
            rewritten = parse_rewrite(
                self.client.complete(rewrite_messages(question, previous), REWRITE_SCHEMA, name="standalone_question")
            )
        except LLMError as exc:
            self._failed(exc, "rewriting a follow-up")
            return None
        self._count("rewritten")
        if self.log_content:
            log.info("follow-up %r rewritten as %r", question, rewritten)
        return rewritten

    # -- answers -------------------------------------------------------------------------------
    def answer(
        self, question: str, ranked, table, extractive: Answer, cite: Callable[[object], list[Citation]]
    ) -> Answer:
        """The model's verified answer, its refusal, or `extractive` unchanged.

        `cite(node)` is the engine's citation of one candidate, checked against its file ([] if moved)."""
        candidates = ranked[:CANDIDATES]
        try:
            content = self.client.complete(
                answer_messages(question, [_candidate(n, table) for n in candidates]), ANSWER_SCHEMA
            )
            reply = parse_reply(content)
        except LLMError as exc:
            self._failed(exc, "answering")
            return extractive
        if reply.not_in_articles:
            self._count("refused")
            self._log_outcome("refused: not in the articles", question)
            closest = _closest(extractive)
            return Answer(question, refusal_text(closest), False, closest=closest, mode="llm")
        kept, citations, dropped = self._verified(reply.statements[:MAX_STATEMENTS], candidates, cite)
        with self._lock:
            self.dropped.update(dropped)
        if not kept:
            self._count("all_dropped")
            log.warning(
                "the model's %d statements were all dropped (%s): gave the extractive answer",
                len(reply.statements),
                _counts(dropped),
            )
            return extractive
        self._count("answered")
        self._log_outcome(
            f"kept {len(kept)} of {len(reply.statements)} statements"
            + (f", dropped {_counts(dropped)}" if dropped else ""),
            question,
        )
        return Answer(question, _render(kept, citations), True, citations, mode="llm")

    def _verified(self, statements: tuple[Statement, ...], candidates, cite):
        """(kept statements as (text, citation numbers), the citations, drop counts by reason)."""
        by_id: dict[int, Citation | None] = {}  # candidate number -> its citation (None: moved in its file)
        citations: list[Citation] = []
        kept: list[tuple[str, list[int]]] = []
        dropped: Counter[str] = Counter()
        for statement in statements:
            text = _clean(statement.text)
            ids = list(dict.fromkeys(statement.ids))
            if not text:
                dropped["empty"] += 1
                continue
            if not ids:
                dropped["no_citation"] += 1
                continue
            if any(not 1 <= i <= len(candidates) for i in ids):
                dropped["unknown_id"] += 1
                continue
            for i in ids:
                if i not in by_id:
                    found = cite(candidates[i - 1])
                    by_id[i] = found[0] if found else None
            cited = [by_id[i] for i in ids]
            if any(c is None for c in cited):
                dropped["moved"] += 1
                continue
            if unsupported_in_statement(text, [c.text for c in cited]):
                dropped["unsupported"] += 1
                continue
            numbers = []
            for c in cited:
                if all(existing is not c for existing in citations):
                    citations.append(c)
                numbers.append(next(k for k, existing in enumerate(citations, 1) if existing is c))
            kept.append((text, numbers))
        return kept, [replace(c, n=k) for k, c in enumerate(citations, 1)], dropped

    # -- reporting -----------------------------------------------------------------------------
    def status(self) -> dict:
        return {"llm_endpoint": self.client.host, "llm_model": self.client.model, "llm_last_error": self.last_error()}

    def last_error(self) -> dict | None:
        """This process's last failure, or the last one any process wrote (`bot.py status` runs apart)."""
        with self._lock:
            if self._last_error is not None:
                return dict(self._last_error)
        try:
            saved = json.loads(self.state_path.read_text(encoding="utf-8"))
            return {"error": str(saved["error"]), "at": float(saved["at"])}
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _failed(self, exc: LLMError, doing: str) -> None:
        record = {"error": str(exc), "at": time.time()}
        with self._lock:
            self._last_error = record
            self.outcomes["failed"] += 1
        log.warning("LLM %s failed (%s): gave the extractive answer", doing, exc)
        try:
            write_bytes(self.state_path, json.dumps(record).encode())
        except OSError:
            pass  # a read-only index: status still shows this process's error

    def _count(self, outcome: str) -> None:
        with self._lock:
            self.outcomes[outcome] += 1

    def _log_outcome(self, what: str, question: str) -> None:
        if self.log_content:
            log.info("llm answer to %r: %s", question, what)
        else:
            log.info("llm answer: %s", what)

    def close(self) -> None:
        self.client.close()


def _candidate(node, table) -> Candidate:
    meta = node.node.metadata
    entry = table.catalog.entries.get(meta["source"])
    return Candidate(entry.title if entry else meta["source"], meta.get("section"), node.node.get_content())


def _closest(answer: Answer) -> str | None:
    return answer.citations[0].title if answer.citations else None


def _clean(text: str) -> str:
    """One line of prose: no [n] markers of the model's own, no leading quote or list marks that would
    make a paraphrase look like a quoted sentence."""
    text = re.sub(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]", "", text)
    text = " ".join(text.split()).lstrip(">*-#• ").strip()
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return text[:MAX_STATEMENT_CHARS].rstrip()


def _render(kept: list[tuple[str, list[int]]], citations: list[Citation]) -> str:
    """`Statement [1]. Statement [1][2].` then each cited sentence quoted with its marker, as compose() does."""
    parts = []
    for text, numbers in kept:
        body, end = (text[:-1], text[-1]) if text[-1] in ".!?" else (text, ".")
        parts.append(f"{body} {''.join(f'[{n}]' for n in numbers)}{end}")
    quoted = "\n".join(f"> {c.text} [{c.n}]" for c in citations)
    return " ".join(parts) + "\n" + quoted


def _counts(dropped: Counter) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in sorted(dropped.items())) or "none"

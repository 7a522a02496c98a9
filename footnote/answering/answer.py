"""Answer and Citation: their fields are the JSON contract of `ask --json` (keys are never renamed)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Citation:
    n: int
    source: str  # article path relative to seeds/
    title: str
    date: str | None
    sentence: int  # 0-based sentence number in the article
    start: int  # the cited unit's span in the article file as stored (PDF, .docx: their extracted text)
    end: int
    text: str  # what a person reads there (for .txt files, the file's text[start:end])
    score: float
    line: int = 1  # 1-based line of `start` in the article file, for `path:line`
    section: str = ""  # the headings above the unit, outermost first, joined by " › "
    page: int | None = None  # 1-based page (PDF)
    # How many consecutive units of one block the quote spans, from `sentence` on: two cited sentences
    # that stand side by side in a paragraph are quoted as one passage.
    sentences: int = 1

    @property
    def numbers(self) -> str:
        """1-based, for people: "sentence 4" or "sentences 4–5"."""
        first = self.sentence + 1
        return f"sentence {first}" if self.sentences == 1 else f"sentences {first}–{first + self.sentences - 1}"

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}" if self.page is None else f"{self.source}, page {self.page}"

    @property
    def heading(self) -> str:
        """The article's title and the unit's section: "Travel policy › Hotels"."""
        return f"{self.title} › {self.section}" if self.section else self.title


@dataclass(slots=True)
class Answer:
    question: str
    answer: str
    found: bool
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # On a refusal: the closest article looked at, so the asker knows where the articles stop.
    closest: str | None = None
    error: str | None = None
    # Who wrote the answer text: "extractive" (the offline path, also every fallback) or "llm".
    mode: str = "extractive"

"""The terminal front end (click): index, ask, run, feedback, gaps, status. The only stdout writer."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from dataclasses import asdict

import click

from footnote.settings import Settings, SettingsError

log = logging.getLogger("footnote")


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("chromadb", "httpx", "urllib3", "llama_index"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # discord.py's DEBUG lines carry every gateway event (question text, whatever LOG_CONTENT says) and
    # request URLs holding interaction tokens: kept at INFO even when LOG_LEVEL=DEBUG.
    logging.getLogger("discord").setLevel(logging.INFO)


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def make_engine(settings: Settings):
    from footnote.engine import Engine

    return Engine(settings)


def _engine_errors():
    from footnote.catalog import IndexCorrupt
    from footnote.indexer import IndexBusy
    from footnote.store import IndexUnavailable, IndexWriteError

    return IndexBusy, IndexUnavailable, IndexWriteError, IndexCorrupt, SettingsError


@click.group()
def cli() -> None:
    """Footnote: answers questions over seeds/ and cites the sentences it used."""


@cli.command()
@click.option("--rebuild", is_flag=True, help="Drop the index and embed every article again.")
def index(rebuild: bool) -> None:
    """Build or update index/ from seeds/ (only added or changed articles are embedded)."""
    settings = load_settings()
    setup_logging(settings.log_level)
    try:
        report = make_engine(settings).index(rebuild=rebuild)
    except _engine_errors() as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # unforeseen: one line here, the traceback at DEBUG
        log.debug("index failed", exc_info=True)
        raise click.ClickException(
            f"indexing failed ({exc.__class__.__name__}: {exc}); the previous index "
            "still answers. Run with LOG_LEVEL=DEBUG for the details"
        ) from None
    for line in report.failed:
        click.echo(f"skipped: {line}", err=True)
    click.echo(report.summary())


def _print_answer(answer) -> None:
    click.echo(answer.answer)
    for c in answer.citations:
        date = f", {c.date}" if c.date else ""
        click.echo(f"\n[{c.n}] {c.heading}{date} — {c.numbers} ({c.location})\n    “{c.text}”")


@cli.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON answer object.")
@click.option(
    "--jsonl",
    is_flag=True,
    help='Read {"question": ..., "context": ...} lines on stdin (context: the '
    "thread's earlier question or questions, optional); print one answer a line.",
)
def ask(question: str | None, as_json: bool, jsonl: bool) -> None:
    """Answer QUESTION from the articles, with numbered citations (indexes first if needed).

    An answer that is an error (an empty or too long question, an index that cannot be read) exits 1,
    its reason on stderr; with --json its object is printed first. With --jsonl every line is answered
    and the exit is 0: a line's error is in its "error" key, so one bad line never fails a batch."""
    settings = load_settings()
    setup_logging(settings.log_level)
    if not jsonl and question is None:
        raise click.UsageError('give a question: python bot.py ask "When does the base agreement expire?"')
    engine = make_engine(settings)
    try:
        report = engine.ensure_ready()
        if report is not None:
            log.info("index updated: %s", report.summary())
    except _engine_errors() as exc:
        raise click.ClickException(str(exc)) from None
    if not jsonl:
        answer = _answer(engine, question)
        if as_json:
            click.echo(json.dumps(asdict(answer), ensure_ascii=False))
        elif not answer.error:
            _print_answer(answer)
        if answer.error:
            raise click.ClickException(answer.error)
        return
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = row["question"] if isinstance(row, dict) else str(row)
            context = _context_of(row)
        except (ValueError, KeyError, TypeError):
            row, text, context = {}, "", None
            log.warning('line %d is not {"question": ...}: answered as an empty question', number)
        answer = asdict(_answer(engine, text, context))
        if isinstance(row, dict) and "id" in row:
            answer["id"] = row["id"]
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def _context_of(row) -> str | None:
    """A thread's earlier question(s): `"context"` as a string or a list of strings, oldest first."""
    context = row.get("context") if isinstance(row, dict) else None
    if isinstance(context, list):
        context = " ".join(str(c) for c in context if c)
    return str(context) if context else None


def _answer(engine, question: str, context: str | None = None):
    from footnote.answering.answer import Answer
    from footnote.store import IndexUnavailable

    try:
        return engine.ask(question, context)
    except IndexUnavailable as exc:
        return Answer(question, "", False, error=str(exc))


@cli.command()
@click.option("--watch", is_flag=True, help="Re-index within seconds when seeds/ changes.")
def run(watch: bool) -> None:
    """Run the Discord bot (needs DISCORD_TOKEN)."""
    settings = load_settings()
    setup_logging(settings.log_level)
    from footnote.bot.runner import run_bot

    sys.exit(run_bot(settings, watch or settings.watch))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def feedback(as_json: bool) -> None:
    """Summarise the 👍/👎 feedback the bot collected."""
    settings = load_settings()
    from footnote.feedback import report, summary

    click.echo(json.dumps(report(settings), ensure_ascii=False, indent=2) if as_json else summary(settings))


@cli.command()
@click.option("--limit", default=50, show_default=True)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON list of {asked_at, question, best_score, closest}, asked_at in Unix seconds.",
)
def gaps(limit: int, as_json: bool) -> None:
    """List refused questions (coverage gaps), newest first: which articles to add."""
    from footnote.gaps import GapLog

    settings = load_settings()
    rows = GapLog(settings.gaps_path).recent(limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no coverage gaps recorded")
    for r in rows:
        when = dt.datetime.fromtimestamp(r["asked_at"]).strftime("%Y-%m-%d %H:%M")
        score = "-" if r["best_score"] is None else f"{r['best_score']:.2f}"
        closest = f"  (closest: {r['closest']})" if r["closest"] else ""
        click.echo(f"{when}  score {score}  {r['question']}{closest}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (times in Unix seconds).")
def status(as_json: bool) -> None:
    """Articles, sentences, chunks, last index time, embedding model, answer mode (with an LLM: its host and
    last error)."""
    settings = load_settings()
    setup_logging(settings.log_level)
    try:
        figures = make_engine(settings).status()
    except _engine_errors() as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    rows = [
        ("Articles", figures["articles"]),
        ("Sentences", figures["sentences"]),
        ("Chunks", figures["chunks"]),
        ("Last indexed", _local_time(figures["indexed_at"])),
        ("Embedding model", figures["embed_model"]),
        ("Answer mode", figures["answer_mode"]),
    ]
    if "llm_endpoint" in figures:
        error = figures.get("llm_last_error")
        rows += [
            ("LLM endpoint", figures["llm_endpoint"]),
            ("LLM model", figures["llm_model"]),
            ("LLM last error", f"{error['error']} ({_local_time(error['at'])})" if error else "none"),
        ]
    for label, value in rows:
        click.echo(f"{label + ':':<17}{value}")


def _local_time(seconds: float | None) -> str:
    """Unix seconds as local ISO time, to the second."""
    return dt.datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="seconds") if seconds else "never"


def main() -> None:
    cli()

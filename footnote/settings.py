"""Settings: one frozen dataclass read from the environment and `.env`; the only reader of os.environ."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from dotenv import dotenv_values


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the key."""


def _as_bool(key: str, raw: str) -> bool:
    low = raw.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{key}={raw!r} is not a boolean: use true or false")


def _as_int(key: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SettingsError(f"{key}={raw!r} must be at least {minimum}")
    return value


def _as_float(key: str, raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a number") from None


@dataclass(frozen=True)
class Settings:
    """Every knob Footnote has. Keys are the field names upper-cased (SEEDS_DIR, INDEX_DIR, ...)."""

    seeds_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    # Embedding: "e5" (offline multilingual-e5-small int8), "minilm" (offline all-MiniLM-L6-v2 int8),
    # or "<provider>:<model>" for any llama-index embedding (e.g. "openai:text-embedding-3-small").
    embed_model: str = "e5"
    model_cache: Path = Path.home() / ".cache" / "footnote"
    threads: int = 2
    # Answering
    answer_mode: str = "extractive"
    max_question_chars: int = 1000
    max_article_bytes: int = 5_000_000
    chunk_sentences: int = 4
    # Chroma server (scale-out); empty host means embedded Chroma under index_dir.
    chroma_host: str = ""
    chroma_port: int = 8000
    chroma_token: str = ""
    # Discord
    discord_token: str = ""
    discord_guild_id: int = 0
    admin_role: str = ""
    cooldown_seconds: float = 5.0
    watch: bool = False
    feedback_db: Path | None = None
    log_content: bool = False
    health_port: int = 0
    log_level: str = "INFO"

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or self.index_dir / "feedback.sqlite3"

    @property
    def gaps_path(self) -> Path:
        return self.index_dir / "gaps.sqlite3"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, dotenv_path: str | Path | None = ".env") -> Settings:
        """Defaults < `.env` < the process environment. A bad value raises SettingsError naming the key."""
        values: dict[str, str] = {}
        if dotenv_path is not None and Path(dotenv_path).is_file():
            values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        values.update(os.environ if env is None else env)
        kwargs: dict = {}
        for f in fields(cls):
            key = f.name.upper()
            if key not in values:
                continue
            raw = values[key]
            kwargs[f.name] = _convert(key, f.type, raw)
        settings = cls(**kwargs)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.answer_mode not in {"extractive"} and ":" not in self.answer_mode:
            raise SettingsError(f"ANSWER_MODE={self.answer_mode!r}: use extractive or <provider>:<model>")
        if not self.embed_model:
            raise SettingsError("EMBED_MODEL is empty: use e5, minilm or <provider>:<model>")
        if self.chunk_sentences < 1:
            raise SettingsError("CHUNK_SENTENCES must be at least 1")


def _convert(key: str, annotation: str, raw: str):
    kind = str(annotation)
    if "Path" in kind:
        return Path(raw).expanduser() if raw.strip() else None if "None" in kind else Path(".")
    if kind == "bool":
        return _as_bool(key, raw)
    if kind == "int":
        return _as_int(key, raw)
    if kind == "float":
        return _as_float(key, raw)
    return raw.strip()

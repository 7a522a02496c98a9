"""Settings: one frozen dataclass read from the environment and `.env`; the only reader of os.environ."""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

log = logging.getLogger(__name__)


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


def _as_ids(key: str, raw: str) -> tuple[int, ...]:
    """Discord ids (snowflakes), comma-separated; 0 and blanks mean none."""
    ids = []
    for part in raw.replace(" ", "").split(","):
        if not part or part == "0":
            continue
        if not part.isdigit():
            raise SettingsError(
                f"{key}={raw!r} is not a Discord id: use the number from Copy ID "
                "(Discord → Settings → Advanced → Developer Mode), several separated by commas"
            )
        ids.append(int(part))
    return tuple(ids)


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
    # Answering: "extractive" (offline) or "llm" (an OpenAI-compatible chat-completions server picks and
    # phrases the cited sentences; footnote/answering/llm.py).
    answer_mode: str = "extractive"
    llm_base_url: str = ""  # e.g. http://localhost:11434/v1 (Ollama), https://api.openai.com/v1
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_timeout: float = 20.0  # seconds for one request; past it the extractive answer is given
    max_question_chars: int = 1000
    max_article_bytes: int = 5_000_000
    chunk_sentences: int = 4
    # Chroma server (scale-out); empty host means embedded Chroma under index_dir.
    chroma_host: str = ""
    chroma_port: int = 8000
    chroma_token: str = ""
    chroma_ssl: bool = False  # https to the Chroma server (e.g. behind a TLS proxy)
    # Discord
    discord_token: str = ""
    # The guild(s) the bot serves, comma-separated ids: commands are synced there only, and anything
    # from another guild (or a DM from a non-member) is ignored.
    discord_guild_id: tuple[int, ...] = ()
    admin_role_id: tuple[int, ...] = ()  # besides Manage Server, members with one of these role ids are admins
    cooldown_seconds: float = 5.0
    watch: bool = False
    feedback_db: Path | None = None
    log_content: bool = False
    health_port: int = 0
    # Where /healthz and /readyz listen: loopback unless an orchestrator outside the host must reach it.
    health_host: str = "127.0.0.1"
    log_level: str = "INFO"

    def __repr__(self) -> str:
        """Secrets (tokens, keys) are shown as set or not, never their value: settings end up in logs."""
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if _is_secret(f.name):
                value = "<set>" if value else "<not set>"
                shown.append(f"{f.name}={value}")
            else:
                shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

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
        if values.get("ADMIN_ROLE", "").strip():
            raise SettingsError(
                "ADMIN_ROLE (a role name) is no longer read, since anyone may name a role alike: "
                "set ADMIN_ROLE_ID=<the role's id> (right-click the role → Copy Role ID) instead"
            )
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
        if self.answer_mode not in {"extractive", "llm"}:
            raise SettingsError(f"ANSWER_MODE={self.answer_mode!r}: use extractive or llm")
        if self.answer_mode == "llm":
            url = urlsplit(self.llm_base_url)
            if url.scheme not in {"http", "https"} or not url.hostname:
                raise SettingsError(
                    f"LLM_BASE_URL={self.llm_base_url!r}: ANSWER_MODE=llm needs the server's "
                    "OpenAI-compatible base URL, e.g. http://localhost:11434/v1"
                )
            if not self.llm_model:
                raise SettingsError("LLM_MODEL is empty: ANSWER_MODE=llm needs the model's name on the server")
        if not self.llm_timeout > 0:
            raise SettingsError(f"LLM_TIMEOUT={self.llm_timeout!r} must be more than 0 seconds")
        if not self.embed_model:
            raise SettingsError("EMBED_MODEL is empty: use e5, minilm or <provider>:<model>")
        if self.chunk_sentences < 1:
            raise SettingsError("CHUNK_SENTENCES must be at least 1")
        self._check_chroma_transport()

    def _check_chroma_transport(self) -> None:
        """CHROMA_TOKEN never crosses an open network in clear text: over plain HTTP it may go to this
        machine, a private address or a one-word service name (a compose or cluster network) only."""
        if not (self.chroma_host and self.chroma_token) or self.chroma_ssl:
            return
        host = self.chroma_host.strip("[]")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if host == "localhost" or (address is not None and address.is_loopback):
            return
        if (address is not None and address.is_private) or (address is None and "." not in host):
            log.warning(
                "CHROMA_TOKEN goes to %s over plain HTTP: fine on a private network; set CHROMA_SSL=true "
                "once the server is behind TLS",
                host,
            )
            return
        raise SettingsError(
            f"CHROMA_TOKEN would go to CHROMA_HOST={self.chroma_host} in clear text: put the Chroma "
            "server behind TLS and set CHROMA_SSL=true (or reach it on a private network)"
        )


_SECRET_SUFFIXES = ("_token", "_key", "_secret", "_password")


def _is_secret(name: str) -> bool:
    return name.endswith(_SECRET_SUFFIXES)


def _convert(key: str, annotation: str, raw: str):
    kind = str(annotation)
    if "Path" in kind:
        return Path(raw).expanduser() if raw.strip() else None if "None" in kind else Path(".")
    if kind == "bool":
        return _as_bool(key, raw)
    if kind == "int":
        return _as_int(key, raw)
    if kind == "tuple[int, ...]":
        return _as_ids(key, raw)
    if kind == "float":
        return _as_float(key, raw)
    return raw.strip()

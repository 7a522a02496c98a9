"""Shared fixtures: tmp seeds/ and index/ per test, the seed article, one real embedding model for the run."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from footnote.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLE = ROOT / "seeds" / "russia-syria-bases.txt"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """Point SEEDS_DIR and INDEX_DIR at a tmp folder so no test touches the project's own."""
    monkeypatch.setenv("SEEDS_DIR", str(tmp_path / "seeds"))
    monkeypatch.setenv("INDEX_DIR", str(tmp_path / "index"))
    (tmp_path / "seeds").mkdir()
    return tmp_path


@pytest.fixture
def seeds(tmp_path) -> Path:
    """A seeds/ folder holding the bundled seed article."""
    folder = tmp_path / "seeds"
    shutil.copy(SEED_ARTICLE, folder / SEED_ARTICLE.name)
    return folder


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env(dotenv_path=None)


@pytest.fixture(scope="session")
def embed_model():
    """The real default embedding model, loaded once for the whole run."""
    from footnote.embeddings import build_embedding

    return build_embedding(Settings.from_env(env={}, dotenv_path=None))


@pytest.fixture
def engine(settings, embed_model):
    from footnote.engine import Engine

    eng = Engine(settings, embed_model=embed_model)
    yield eng
    eng.close()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on at the moment (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run_fresh(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `script` in a fresh Python from the repository root: its own imports, heap and module state."""
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )

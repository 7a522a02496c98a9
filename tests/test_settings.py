from pathlib import Path

import pytest

from footnote.settings import Settings, SettingsError


def test_defaults_work_offline():
    s = Settings.from_env(env={}, dotenv_path=None)
    assert s.seeds_dir == Path("seeds") and s.index_dir == Path("index")
    assert s.chroma_host == "" and s.embed_model in {"minilm", "e5"}


def test_environment_beats_dotenv(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SEEDS_DIR=/from/dotenv\nINDEX_DIR=/idx/dotenv\nCOOLDOWN_SECONDS=2.5\n")
    s = Settings.from_env(env={"SEEDS_DIR": "/from/env"}, dotenv_path=env_file)
    assert s.seeds_dir == Path("/from/env")
    assert s.index_dir == Path("/idx/dotenv")
    assert s.cooldown_seconds == 2.5


@pytest.mark.parametrize("key,value", [("CHROMA_PORT", "eighty"), ("WATCH", "maybe"), ("COOLDOWN_SECONDS", "x"),
                                       ("THREADS", "-1")])
def test_bad_value_names_the_key(key, value):
    with pytest.raises(SettingsError, match=key):
        Settings.from_env(env={key: value}, dotenv_path=None)


def test_unknown_embed_model_is_rejected():
    from footnote.embeddings import build_embedding

    with pytest.raises(SettingsError, match="EMBED_MODEL"):
        build_embedding(Settings.from_env(env={"EMBED_MODEL": "nonsense"}, dotenv_path=None))


def test_env_example_documents_every_key():
    from dataclasses import fields

    from tests.conftest import ROOT

    documented = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
                  if "=" in line and not line.startswith("#")}
    assert {f.name.upper() for f in fields(Settings)} == documented
    Settings.from_env(env={}, dotenv_path=ROOT / ".env.example")  # and every documented value parses

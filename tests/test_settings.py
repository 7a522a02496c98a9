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


@pytest.mark.parametrize("env, key", [
    ({"ANSWER_MODE": "openai:gpt-4o"}, "ANSWER_MODE"),
    ({"ANSWER_MODE": "llm", "LLM_MODEL": "m"}, "LLM_BASE_URL"),
    ({"ANSWER_MODE": "llm", "LLM_BASE_URL": "localhost:11434", "LLM_MODEL": "m"}, "LLM_BASE_URL"),
    ({"ANSWER_MODE": "llm", "LLM_BASE_URL": "http://localhost:11434/v1"}, "LLM_MODEL"),
    ({"LLM_TIMEOUT": "0"}, "LLM_TIMEOUT"),
])
def test_llm_settings_are_checked_with_the_key_named(env, key):
    with pytest.raises(SettingsError, match=key):
        Settings.from_env(env=env, dotenv_path=None)


def test_llm_settings_are_read_and_the_key_stays_out_of_repr():
    s = Settings.from_env(env={"ANSWER_MODE": "llm", "LLM_BASE_URL": "http://localhost:11434/v1", "LLM_MODEL": "qwen",
                               "LLM_API_KEY": "sk-secret", "LLM_TIMEOUT": "7.5"}, dotenv_path=None)
    assert (s.answer_mode, s.llm_base_url, s.llm_model, s.llm_api_key, s.llm_timeout) == \
        ("llm", "http://localhost:11434/v1", "qwen", "sk-secret", 7.5)
    assert "sk-secret" not in repr(s)

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


@pytest.mark.parametrize(
    "key,value", [("CHROMA_PORT", "eighty"), ("WATCH", "maybe"), ("COOLDOWN_SECONDS", "x"), ("THREADS", "-1")]
)
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

    documented = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert {f.name.upper() for f in fields(Settings)} == documented
    Settings.from_env(env={}, dotenv_path=ROOT / ".env.example")  # and every documented value parses


def test_guild_ids_are_a_comma_separated_list_and_0_means_none():
    assert Settings.from_env(env={"DISCORD_GUILD_ID": "123, 456"}, dotenv_path=None).discord_guild_id == (123, 456)
    assert Settings.from_env(env={"DISCORD_GUILD_ID": "0"}, dotenv_path=None).discord_guild_id == ()
    with pytest.raises(SettingsError, match="^DISCORD_GUILD_ID='my server' is not a Discord id"):
        Settings.from_env(env={"DISCORD_GUILD_ID": "my server"}, dotenv_path=None)


def test_a_role_name_in_the_legacy_admin_role_is_refused_naming_both_settings():
    with pytest.raises(SettingsError, match="^ADMIN_ROLE .*ADMIN_ROLE_ID=") as error:
        Settings.from_env(env={"ADMIN_ROLE": "Footnote Admins"}, dotenv_path=None)
    assert "\n" not in str(error.value)
    assert Settings.from_env(env={"ADMIN_ROLE_ID": "42"}, dotenv_path=None).admin_role_id == (42,)


def test_repr_never_shows_a_secret():
    from dataclasses import fields

    secrets = {f.name: f"secret-{f.name}" for f in fields(Settings) if f.name.endswith(("_token", "_key"))}
    assert {"discord_token", "chroma_token"} <= set(secrets)
    shown = repr(Settings(**secrets))
    assert not [value for value in secrets.values() if value in shown], shown
    assert "discord_token=<set>" in shown and str(Settings()).count("<not set>") == len(secrets)


@pytest.mark.parametrize(
    "host, ssl, allowed",
    [
        ("localhost", "false", True),
        ("127.0.0.1", "false", True),
        ("10.0.0.5", "false", True),
        ("chroma", "false", True),  # a compose service name: a private network
        ("chroma.example.com", "false", False),
        ("8.8.8.8", "false", False),
        ("chroma.example.com", "true", True),
    ],
)
def test_chroma_token_never_goes_in_clear_text_across_an_open_network(host, ssl, allowed):
    env = {"CHROMA_HOST": host, "CHROMA_TOKEN": "t0ken", "CHROMA_SSL": ssl}
    if allowed:
        assert Settings.from_env(env=env, dotenv_path=None).chroma_ssl == (ssl == "true")
    else:
        with pytest.raises(SettingsError, match="CHROMA_SSL=true"):
            Settings.from_env(env=env, dotenv_path=None)


def test_chroma_ssl_makes_the_client_speak_tls():
    """A plain TCP listener on loopback records the first byte the real chromadb client sends: 0x16 opens
    a TLS handshake, where plain HTTP would start with "G" (GET)."""
    import socket
    import threading

    from footnote.store import IndexUnavailable, open_client

    first_bytes: list[bytes] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(10)

        def accept_one():
            conn, _ = server.accept()
            with conn:
                first_bytes.append(conn.recv(1))

        listener = threading.Thread(target=accept_one)
        listener.start()
        with pytest.raises(IndexUnavailable):
            open_client(
                Settings(
                    chroma_host="127.0.0.1", chroma_port=server.getsockname()[1], chroma_token="t", chroma_ssl=True
                )
            )
        listener.join(10)
    assert first_bytes == [b"\x16"]


@pytest.mark.parametrize(
    "env, key",
    [
        ({"ANSWER_MODE": "openai:gpt-4o"}, "ANSWER_MODE"),
        ({"ANSWER_MODE": "llm", "LLM_MODEL": "m"}, "LLM_BASE_URL"),
        ({"ANSWER_MODE": "llm", "LLM_BASE_URL": "localhost:11434", "LLM_MODEL": "m"}, "LLM_BASE_URL"),
        ({"ANSWER_MODE": "llm", "LLM_BASE_URL": "http://localhost:11434/v1"}, "LLM_MODEL"),
        ({"LLM_TIMEOUT": "0"}, "LLM_TIMEOUT"),
    ],
)
def test_llm_settings_are_checked_with_the_key_named(env, key):
    with pytest.raises(SettingsError, match=key):
        Settings.from_env(env=env, dotenv_path=None)


def test_llm_settings_are_read_and_the_key_stays_out_of_repr():
    s = Settings.from_env(
        env={
            "ANSWER_MODE": "llm",
            "LLM_BASE_URL": "http://localhost:11434/v1",
            "LLM_MODEL": "qwen",
            "LLM_API_KEY": "sk-secret",
            "LLM_TIMEOUT": "7.5",
        },
        dotenv_path=None,
    )
    assert (s.answer_mode, s.llm_base_url, s.llm_model, s.llm_api_key, s.llm_timeout) == (
        "llm",
        "http://localhost:11434/v1",
        "qwen",
        "sk-secret",
        7.5,
    )
    assert "sk-secret" not in repr(s)

"""One OpenAI-compatible chat-completions request (OpenAI, Ollama /v1, llama.cpp, vLLM, LM Studio) over httpx.

httpx is already installed with chromadb and llama-index-core; the `openai` package or llama-index's
OpenAI integrations would add 22-31 MB for this one POST (docs/decisions/2026-12-07-llm-answers.md)."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import httpx

# Servers that do not know `response_format: json_schema` say so in an error naming it: a 400 from
# most, a 500 from llama-cpp-python's server ("Input should be 'text' or 'json_object'").
_SCHEMA_REJECTED = ("response_format", "json_schema")


class LLMError(Exception):
    """No usable reply. The message names the host and the failure, never the key or the question."""


def endpoint_host(base_url: str) -> str:
    """host[:port] of the endpoint: what status shows (no scheme, path, user or password)."""
    url = urlsplit(base_url)
    return f"{url.hostname}:{url.port}" if url.port else (url.hostname or "")


class ChatClient:
    """POST {base_url}/chat/completions; `complete()` returns the first choice's text or raises LLMError.

    One request never takes longer than `timeout` seconds in all: it runs in a daemon thread that the
    caller stops waiting for (httpx's own timeouts are per read, so a server trickling bytes could
    otherwise hold an answer far longer). No retries: a failure costs one timeout, then the extractive
    answer."""

    def __init__(self, base_url: str, model: str, api_key: str, timeout: float) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.host = endpoint_host(base_url)
        self.model = model
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout))
        self.schema_supported = True  # until the server rejects response_format once

    def complete(self, messages: list[dict], schema: dict | None = None, name: str = "answer") -> str:
        body = {"model": self.model, "messages": messages, "temperature": 0, "stream": False}
        if schema is not None and self.schema_supported:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": schema},
            }
        try:
            return self._content(self._post(body))
        except _SchemaRejected:
            self.schema_supported = False  # answer from the prompt alone; the reply is parsed defensively
            body.pop("response_format")
            return self._content(self._post(body))

    def _post(self, body: dict) -> httpx.Response:
        box: dict = {}
        done = threading.Event()

        def send() -> None:
            try:
                box["response"] = self._http.post(self.url, json=body)
            except Exception as exc:  # handed to the caller's thread below
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=send, name="llm-request", daemon=True).start()
        if not done.wait(self.timeout):
            raise LLMError(f"no reply from {self.host} within {self.timeout:g} s")
        error = box.get("error")
        if isinstance(error, httpx.TimeoutException):
            raise LLMError(f"no reply from {self.host} within {self.timeout:g} s")
        if isinstance(error, httpx.ConnectError):
            raise LLMError(f"cannot connect to {self.host} ({error}): is the server running?")
        if error is not None:
            raise LLMError(f"request to {self.host} failed ({error.__class__.__name__}: {error})")
        return box["response"]

    def _content(self, response: httpx.Response) -> str:
        if response.status_code >= 400:
            message = _error_message(response)
            if (
                response.status_code in (400, 422, 500)
                and any(word in message for word in _SCHEMA_REJECTED)
                and self.schema_supported
            ):
                raise _SchemaRejected(message)
            raise LLMError(f"HTTP {response.status_code} from {self.host}: {message[:300]}")
        try:
            choice = response.json()["choices"][0]
            content = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError(f"{self.host} sent a reply that is not a chat completion") from None
        if not isinstance(content, str) or not content.strip():
            why = choice["message"].get("refusal") or choice.get("finish_reason") or "no content"
            raise LLMError(f"{self.host} sent an empty reply ({str(why)[:100]})")
        return content

    def close(self) -> None:
        self._http.close()


class _SchemaRejected(LLMError):
    pass


def _error_message(response: httpx.Response) -> str:
    """The server's own words: OpenAI's {"error": {"message"}}, Ollama's {"error": "..."}, or the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error or body)

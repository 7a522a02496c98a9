"""A fake OpenAI-compatible chat-completions server on loopback, faithful to the protocol's shapes.

`POST /v1/chat/completions` with `model`, `messages` and optionally `response_format` and `stream`; the
reply is a real `chat.completion` object (id, object, created, model, choices[{index, message{role,
content}, finish_reason}], usage), and errors are OpenAI's {"error": {message, type, param, code}} with
its status codes (400 bad request, 401 bad key, 404 unknown model or URL, 500 server error).

The model name picks a scripted behaviour, as a real server picks a model: "fake-correct" reads the
numbered sentences it was sent like a model would and cites the one that answers; the others misbehave
in one way each (see BEHAVIOURS). Run in a thread, so both subprocesses (the CLI) and the bot's event
loop can call it."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BEHAVIOURS = {
    "fake-correct": "statements citing the sentence that answers",
    "fake-unknown-id": "a statement citing sentence 99, which it was not given",
    "fake-2099": "'expires in 2099', citing the sentence that says 2066",
    "fake-no-citation": "a statement with no sentence ids",
    "fake-mixed": "a right statement and the 2099 one",
    "fake-not-in-articles": "not_in_articles",
    "fake-malformed": "JSON cut off half way",
    "fake-prose": "the right answer as JSON inside prose and a ``` fence (response_format ignored)",
    "fake-no-schema": "400 for response_format json_schema (an older server), the right answer without it",
    "fake-no-schema-500": "500 for response_format json_schema, as llama-cpp-python's server answers it",
    "fake-500": "HTTP 500",
    "fake-hang": "no reply until the server stops",
    "fake-trickle": "a right answer sent one byte every 0.3 s (each read is quick, the whole is not)",
}
_CANDIDATE = re.compile(r"^\[(\d+)\] \((.*?)\) (.*)$", re.MULTILINE)
# Follow-ups the fake can resolve the way a model would (previous question's words, follow-up) -> standalone.
REWRITES = {("Camp Lemonnier", "and who signed it?"): "Who signed the lease for Camp Lemonnier?"}


def error_body(message: str, kind: str, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class FakeOpenAI:
    API_KEY = "sk-fake-secret-key-0000"

    def __init__(self) -> None:
        self.requests: list[dict] = []  # {"headers": {...}, "body": {...}} of every request, in order
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # hung requests end
        self._server.shutdown()
        self._server.server_close()

    def bodies(self, model: str | None = None) -> list[dict]:
        return [r["body"] for r in self.requests if model is None or r["body"].get("model") == model]

    # -- the protocol ----------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._send(404, error_body(f"Invalid URL (GET {self.path})", "invalid_request_error"))

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/v1/chat/completions":
                    return self._send(404, error_body(f"Invalid URL (POST {self.path})", "invalid_request_error"))
                if self.headers.get("Authorization") != f"Bearer {fake.API_KEY}":
                    return self._send(
                        401, error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
                    )
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._send(
                        400, error_body("We could not parse the JSON body of your request.", "invalid_request_error")
                    )
                fake.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                status, reply = fake.respond(body)
                if status is None:  # hang: hold the connection until the server stops
                    fake._release.wait(60)
                    return
                self._send(status, reply, trickle=body["model"] == "fake-trickle")

            def _send(self, status: int, body: dict | str, trickle: bool = False) -> None:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not trickle:
                    self.wfile.write(data)
                    return
                for i in range(len(data)):
                    if fake._release.wait(0.3):
                        return
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()

        return Handler

    def respond(self, body: dict) -> tuple[int | None, dict]:
        problem = _invalid(body)
        if problem:
            return 400, error_body(problem[0], "invalid_request_error", param=problem[1])
        model = body["model"]
        if model not in BEHAVIOURS:
            return 404, error_body(
                f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            )
        if body.get("stream"):
            return 400, error_body("This fake serves stream=false only.", "invalid_request_error", param="stream")
        if model == "fake-500":
            return 500, error_body(
                "The server had an error while processing your request. Sorry about that!", "server_error"
            )
        if model == "fake-hang":
            return None, {}
        fmt = body.get("response_format")
        if model == "fake-no-schema" and fmt:
            return 400, error_body(
                "Invalid value for 'response_format': json_schema is not supported by this server.",
                "invalid_request_error",
                param="response_format",
            )
        if model == "fake-no-schema-500" and fmt and fmt.get("type") == "json_schema":
            return 500, error_body(  # llama-cpp-python's server: its request validation error, as a 500
                "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
                "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}]",
                "server_error",
            )
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        if fmt and fmt.get("json_schema", {}).get("name") == "standalone_question" or "standalone" in system:
            return 200, _completion(model, body, json.dumps({"question": _rewrite(user)}))
        return 200, _completion(model, body, _script(model, user))


def _invalid(body) -> tuple[str, str | None] | None:
    """OpenAI's 400s for a malformed request: (message, param)."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object.", None
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter", "model"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "[] is too short - 'messages'", "messages"
    for i, m in enumerate(messages):
        if (
            not isinstance(m, dict)
            or m.get("role") not in {"system", "user", "assistant", "developer"}
            or not isinstance(m.get("content"), str)
        ):
            return f"Invalid value for 'messages[{i}]'.", f"messages[{i}]"
    fmt = body.get("response_format")
    if fmt is not None:
        if not isinstance(fmt, dict) or fmt.get("type") not in {"text", "json_object", "json_schema"}:
            return "Invalid value for 'response_format.type'.", "response_format.type"
        schema = fmt.get("json_schema") if fmt["type"] == "json_schema" else {}
        if fmt["type"] == "json_schema" and (
            not isinstance(schema, dict) or not schema.get("name") or not isinstance(schema.get("schema"), dict)
        ):
            return "Missing required parameter: 'response_format.json_schema.name'.", "response_format.json_schema"
    return None


def _completion(model: str, body: dict, content: str) -> dict:
    prompt = sum(len(m["content"].split()) for m in body["messages"])
    completion = len(content.split())
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def candidates(user_message: str) -> dict[int, str]:
    """The numbered sentences of an answer request: number -> sentence text."""
    return {int(m.group(1)): m.group(3) for m in _CANDIDATE.finditer(user_message)}


def _answering(question: str, sentences: dict[int, str]) -> tuple[int, str]:
    """(id, statement) a careful model would give: the base's end date, the Lemonnier lease's signers, or
    the first sentence restated."""
    for i, text in sentences.items():
        if "until 2066" in text and re.search(r"\b(expire|end)", question):
            return i, "The base agreement runs until 2066."
        if "Barack Obama" in text and "signed" in question:
            return i, "It was signed by President Ismail Omar Guelleh and President Barack Obama."
    first = min(sentences)
    return first, sentences[first]


def _script(model: str, user: str) -> str:
    sentences = candidates(user)
    right_id, right = _answering(re.match(r"Question: (.*)", user).group(1), sentences)
    wrong = {"text": "The base agreement expires in 2099.", "sentence_ids": [right_id]}
    replies = {
        "fake-correct": {"statements": [{"text": right, "sentence_ids": [right_id]}], "not_in_articles": False},
        "fake-no-schema": {"statements": [{"text": right, "sentence_ids": [right_id]}], "not_in_articles": False},
        "fake-no-schema-500": {"statements": [{"text": right, "sentence_ids": [right_id]}], "not_in_articles": False},
        "fake-trickle": {"statements": [{"text": right, "sentence_ids": [right_id]}], "not_in_articles": False},
        "fake-unknown-id": {"statements": [{"text": right, "sentence_ids": [99]}], "not_in_articles": False},
        "fake-2099": {"statements": [wrong], "not_in_articles": False},
        "fake-no-citation": {"statements": [{"text": right, "sentence_ids": []}], "not_in_articles": False},
        "fake-mixed": {"statements": [{"text": right, "sentence_ids": [right_id]}, wrong], "not_in_articles": False},
        "fake-not-in-articles": {"statements": [], "not_in_articles": True},
    }
    if model == "fake-malformed":
        return json.dumps(replies["fake-correct"])[:40]
    if model == "fake-prose":
        return f"Sure! Here is the answer:\n```json\n{json.dumps(replies['fake-correct'], indent=2)}\n```"
    return json.dumps(replies[model])


def _rewrite(user: str) -> str:
    previous = re.search(r"^Previous question: (.*)$", user, re.MULTILINE).group(1)
    follow_up = re.search(r"^Follow-up: (.*)$", user, re.MULTILINE).group(1)
    for (about, words), standalone in REWRITES.items():
        if about in previous and follow_up == words:
            return standalone
    return follow_up

"""aiohttp /healthz (process alive, index readable) and /readyz (gateway up, questions answerable), JSON.

Used by the container's HEALTHCHECK and by orchestrators. It never imports discord: the bot hands in
`is_ready`, a plain callable, so this module works (and is tested) without a gateway."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
import time
from collections.abc import Callable

from aiohttp import web

from footnote.settings import Settings

log = logging.getLogger(__name__)

# A Chroma server that hangs must not hang the probe too: the orchestrator's own timeout is longer.
STATUS_TIMEOUT_S = 5.0


class _StatusCheck:
    """`check()` (the engine's status, or more) in a daemon thread, at most one at a time, bounded in time.

    Not asyncio.to_thread: a status call stuck in a dead store would then block the default executor
    and with it the loop's shutdown (SIGTERM must still exit). A stuck call keeps its one thread;
    later probes answer 503 at once instead of piling up more."""

    def __init__(self, check: Callable[[], dict], settings: Settings) -> None:
        self.check = check
        self.settings = settings
        self.busy = threading.Event()

    async def __call__(self) -> tuple[dict | None, str | None]:
        if self.busy.is_set():
            return None, "the previous index status check has not returned yet"
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()

        def settle(result) -> None:
            if not done.done():
                done.set_result(result)

        def work() -> None:
            try:
                result = (dict(self.check()), None)
            except Exception as exc:  # IndexUnavailable, IndexCorrupt, OSError: all mean "not healthy"
                log.warning("health check failed: %s: %s", exc.__class__.__name__, exc)
                result = (None, f"{exc.__class__.__name__}: {without_paths(str(exc), self.settings)}")
            finally:
                self.busy.clear()
            try:
                loop.call_soon_threadsafe(settle, result)
            except RuntimeError:  # the loop closed while we waited: nobody is listening
                pass

        self.busy.set()
        threading.Thread(target=work, name="health-status", daemon=True).start()
        try:
            return await asyncio.wait_for(asyncio.shield(done), STATUS_TIMEOUT_S)
        except TimeoutError:
            return None, f"index status took longer than {STATUS_TIMEOUT_S:.0f} s"


_ABSOLUTE_PATH = re.compile(r"(?<![\w.~:/-])/(?:[^\s/:;,'\"()`]+/?)+")


def without_paths(text: str, settings: Settings) -> str:
    """An error for an unauthenticated endpoint: folders named by their setting, other paths hidden."""
    folders = {"INDEX_DIR": settings.index_dir, "SEEDS_DIR": settings.seeds_dir, "MODEL_CACHE": settings.model_cache}
    if settings.feedback_db:
        folders["FEEDBACK_DB"] = settings.feedback_db
    for name, folder in sorted(folders.items(), key=lambda kv: -len(str(kv[1]))):
        # A relative folder ("index") is a common word too: only replaced where it reads as a path.
        for form, as_name in ((str(folder.resolve()), name), (f"{folder}/", f"{name}/"), (str(folder), name)):
            if form not in ("", ".", "./") and (form.startswith("/") or form.endswith("/")):
                text = text.replace(form, as_name)
    return _ABSOLUTE_PATH.sub("<path>", text)


def _ready_status(engine) -> dict:
    """The index status, and a real question answered: ready means questions work right now."""
    status = engine.status()
    engine.check_answering()
    return status


def build_app(engine, is_ready: Callable[[], bool]) -> web.Application:
    started = time.time()
    _index_status = _StatusCheck(engine.status, engine.settings)
    _answer_check = _StatusCheck(lambda: _ready_status(engine), engine.settings)

    async def healthz(_request: web.Request) -> web.Response:
        status, error = await _index_status()
        body = {"ok": error is None, "uptime_s": round(time.time() - started, 1), "index": status}
        if error:
            body["error"] = error
        return web.json_response(body, status=200 if error is None else 503)

    async def readyz(_request: web.Request) -> web.Response:
        status, error = await _answer_check()
        try:
            gateway = bool(is_ready())
        except Exception as exc:  # a broken probe is "not ready", never a 500
            gateway, error = False, error or f"is_ready failed: {without_paths(str(exc), engine.settings)}"
        loaded = status is not None and bool(status.get("indexed_at"))
        body = {"ready": gateway and loaded, "gateway": gateway, "index_loaded": loaded, "index": status}
        if error:
            body["error"] = error
        elif not loaded:
            body["error"] = "no index yet: run `python bot.py index`"
        return web.json_response(body, status=200 if body["ready"] else 503)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


async def start_health_server(
    settings: Settings, engine, is_ready: Callable[[], bool], host: str | None = None
) -> web.AppRunner | None:
    """Serve /healthz and /readyz on HEALTH_HOST:HEALTH_PORT; None when the port is 0 (off).

    The caller owns the runner: `await runner.cleanup()` on shutdown. The endpoint has no
    authentication, so it listens on loopback unless HEALTH_HOST says otherwise (the container's
    HEALTHCHECK runs inside it and needs no more)."""
    if not settings.health_port:
        return None
    host = host or settings.health_host
    runner = web.AppRunner(build_app(engine, is_ready), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, settings.health_port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    log.info("health endpoint on http://%s:%d/healthz and /readyz", host, settings.health_port)
    return runner


def probe(settings: Settings, path: str = "/healthz", timeout: float = 8.0) -> int:
    """The container's HEALTHCHECK: 0 when the bot's own endpoint answers 2xx, else 1 (docker's codes)."""
    import urllib.error
    import urllib.request

    if not settings.health_port:
        sys.stderr.write("HEALTH_PORT is 0: the health endpoint is off\n")
        return 1
    url = f"http://127.0.0.1:{settings.health_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            sys.stderr.write(resp.read(2000).decode("utf-8", "replace") + "\n")
            return 0
    except urllib.error.HTTPError as exc:  # 503: alive but not healthy; the body says why
        sys.stderr.write(f"{url}: {exc.code} {exc.read(2000).decode('utf-8', 'replace')}\n")
    except OSError as exc:
        sys.stderr.write(f"{url}: {exc}\n")
    return 1


if __name__ == "__main__":  # python -m footnote.health [/readyz]
    sys.exit(probe(Settings.from_env(), *(sys.argv[1:2] or ["/healthz"])))

# syntax=docker/dockerfile:1
# Footnote: build wheels in one stage, run from a compiler-free slim image as a non-root user.
#   docker build -t footnote .
#   docker run --env-file .env -v "$PWD/seeds:/data/seeds" -v footnote-index:/data/index footnote
# The health endpoint has no authentication and listens on the container's loopback (HEALTH_HOST); to
# probe it from the host: -e HEALTH_HOST=0.0.0.0 -p 127.0.0.1:8080:8080, never on every interface.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: every dependency as a wheel (compilers only live here) ---------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# build-essential is for any dependency without a wheel for this platform; it never reaches runtime.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml ./
COPY footnote/ footnote/
RUN pip wheel --wheel-dir /wheels .

# ---- runtime --------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    MODEL_CACHE=/opt/footnote/models \
    SEEDS_DIR=/data/seeds \
    INDEX_DIR=/data/index \
    HEALTH_PORT=8080
# The install the container test repeats: exactly the wheels resolved above, no index, no compiler.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
 && pip install --no-index /wheels/*.whl
# Models are built now, as root, so the container never downloads or writes one at start.
# Replace with `python bot.py setup` once the CLI has it.
RUN python -c "from dataclasses import replace; \
from footnote.settings import Settings; from footnote.embeddings import build_embedding; \
s = Settings.from_env(dotenv_path=None); \
[build_embedding(replace(s, embed_model=m)) for m in ('e5',)]" \
 && chmod -R a+rX /opt/footnote
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/footnote footnote \
 && mkdir -p /data/seeds /data/index \
 && chown footnote:footnote /data/seeds /data/index
WORKDIR /app
COPY bot.py /app/bot.py
USER 10001:10001
VOLUME ["/data/seeds", "/data/index"]
EXPOSE 8080
# The bot drains questions in flight on SIGTERM, then closes the gateway and the store.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "footnote.health"]
ENTRYPOINT ["python", "/app/bot.py"]
CMD ["run"]

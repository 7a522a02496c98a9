# syntax=docker/dockerfile:1
# Footnote: the locked dependencies installed in one stage, run from a compiler-free slim image
# as a non-root user.
#   docker build -t footnote .
#   docker run --env-file .env -v "$PWD/seeds:/data/seeds" -v footnote-index:/data/index footnote
# The health endpoint has no authentication and listens on the container's loopback (HEALTH_HOST); to
# probe it from the host: -e HEALTH_HOST=0.0.0.0 -p 127.0.0.1:8080:8080, never on every interface.

# The base image by tag. To pin it by digest (reproducible, and a re-pushed tag can't slip in), where a
# registry is reachable: `docker buildx imagetools inspect python:3.11-slim-bookworm` prints the
# list's "Digest:"; then set python:3.11-slim-bookworm@sha256:<that digest> here, or pass
# --build-arg PYTHON_IMAGE=... (docs/supply-chain.md).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: the locked dependencies and the project, into /opt/venv (compilers only live here) ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# build-essential is for any dependency without a wheel for this platform; it never reaches runtime.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The install the container test repeats. Every file pip fetches must match a hash in the lock
# (scripts/lock.sh): the dependencies and the build backend, so the project builds with no other download.
COPY requirements-runtime.lock ./
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes -r requirements-runtime.lock
COPY pyproject.toml ./
COPY footnote/ footnote/
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation .

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
# The venv built above, as it is: same base image, same paths, no pip run and no compiler here.
COPY --from=build /opt/venv /opt/venv
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

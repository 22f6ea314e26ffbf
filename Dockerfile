# syntax=docker/dockerfile:1
# The Lumbung app for production: `docker compose up` (compose.yaml, README "Operations").
# Two stages: the first builds a wheel and installs it with its runtime dependencies into a
# virtual environment; the second copies only that environment onto a slim Python, as a
# non-root user. No dev or local extras (pytest, SecantusDB...), no compiler, no sources.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY server ./server
COPY schema ./schema
COPY resolvers ./resolvers
COPY search ./search
COPY storage ./storage
# The web client: plain files, no build step; shipped in the wheel as the package lumbung_web.
COPY frontend_stub ./frontend_stub
RUN python -m venv /opt/lumbung \
    && /opt/lumbung/bin/pip install --upgrade pip \
    && /opt/lumbung/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/lumbung/bin/pip install -c constraints.txt /wheels/lumbung-*.whl \
    && /opt/lumbung/bin/python -c "import server.web; print(server.web.web_client_dir())"

FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 lumbung \
    && useradd --system --uid 10001 --gid lumbung --home-dir /var/lib/lumbung --create-home lumbung
COPY --from=build /opt/lumbung /opt/lumbung
ENV PATH=/opt/lumbung/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LUMBUNG_ENV=production \
    LUMBUNG_HOST=0.0.0.0 \
    LUMBUNG_PORT=8000 \
    LUMBUNG_DATA_DIR=/var/lib/lumbung
USER lumbung:lumbung
WORKDIR /var/lib/lumbung
EXPOSE 8000 9100
# Ready when /readyz says so (MongoDB reachable; "degraded" while only search is down is ready).
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
CMD ["python", "-m", "server", "serve"]

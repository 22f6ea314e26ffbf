"""Driving wrk (Debian's package) and reading its report, for every benchmark here.

wrk runs in its own process with one thread, so the load generator does not compete with the
Python event loop it measures. A request body goes through a small Lua script that reads it from
a file (wrk has no option for a body).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Collection, Mapping
from pathlib import Path

_LUA = """
local f = io.open("{body}", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
{headers}
"""
# Each connection waits this long after a response before its next request (wrk's ``delay``).
_DELAY = """
function delay()
  return {delay_ms}
end
"""
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it)")


def run(
    url: str,
    *,
    seconds: int,
    connections: int,
    workdir: Path,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    delay_ms: int = 0,
    cpus: Collection[int] | None = None,
) -> dict[str, float]:
    """GET ``url`` (or POST ``body`` as JSON) for ``seconds``; requests/s, p50/p99 ms, counts.

    With ``delay_ms``, each connection pauses that long between a response and its next request:
    a paced load, below what the server can take, instead of as much as it can take. With
    ``cpus``, wrk runs on those CPUs only (Linux).
    """
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if body is not None or headers or delay_ms:
        name = hashlib.sha256(url.encode() + (body or b"") + str(delay_ms).encode()).hexdigest()[:16]
        script = workdir / f"wrk-{name}.lua"
        lines = "\n".join(f'wrk.headers["{key}"] = "{value}"' for key, value in (headers or {}).items())
        if body is not None:
            body_path = workdir / f"wrk-{name}.json"
            body_path.write_bytes(body)
            script.write_text(_LUA.format(body=body_path, headers=lines))
        else:
            script.write_text(lines + "\n")
        if delay_ms:
            script.write_text(script.read_text() + _DELAY.format(delay_ms=delay_ms))
        args[1:1] = ["-s", str(script)]
    pin = functools.partial(os.sched_setaffinity, 0, cpus) if cpus is not None else None
    output = subprocess.run(
        args, check=True, capture_output=True, text=True, timeout=seconds + 30, preexec_fn=pin
    ).stdout
    return parse(output)


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse(output: str) -> dict[str, float]:
    """The figures of a ``wrk --latency`` report."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    requests = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if not (rps and p50 and p99 and requests):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return {
        "rps": float(rps.group(1)),
        "p50_ms": _ms(*p50.groups()),
        "p99_ms": _ms(*p99.groups()),
        "requests": float(requests.group(1)),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }

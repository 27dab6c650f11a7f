"""``engarde receiver`` as a real process (workers, file permissions), and raw keep-alive requests to it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]

#: Prefix that makes a root process obey file permissions (root would write a mode-444 file anyway).
DROP_ROOT = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def can_obey_permissions() -> bool:
    """True when a spawned receiver can be kept from writing a read-only file."""
    return os.geteuid() != 0 or shutil.which("setpriv") is not None


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def spawned_receiver(
    env: dict[str, str], *, workers: int = 1, obey_permissions: bool = False
) -> Iterator[str]:
    """Run ``engarde receiver`` with ``env`` added; yield its base URL once ``/healthz`` answers."""
    port = free_port()
    code = "from deployments.cli_webhooks import app; app(prog_name='engarde')"
    cmd = [sys.executable, "-c", code, "receiver", "--port", str(port), "--workers", str(workers)]
    cmd += ["--log-level", "warning"]
    if obey_permissions and os.geteuid() == 0:
        cmd = DROP_ROOT + cmd
    full_env = {**os.environ, "RECEIVER_EMIT_EVENTS": "0", **env}
    full_env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"engarde receiver exited with {proc.returncode}"
            assert time.monotonic() < deadline, "engarde receiver did not come up"
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sequential_latencies_ms(base: str, path: str, body: bytes, count: int) -> list[float]:
    """Milliseconds of ``count`` requests sent one after the other on ONE kept-alive connection."""
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"X-Posh-Signature: sha256={'0' * 64}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    with socket.create_connection((host, int(port))) as conn:
        for _ in range(count):
            started = time.perf_counter()
            conn.sendall(head + body)
            received = b""
            while b"\r\n\r\n" not in received:
                received += conn.recv(65536)
            headers, rest = received.split(b"\r\n\r\n", 1)
            length = next(
                int(line.split(b":", 1)[1])
                for line in headers.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(rest) < length:
                rest += conn.recv(65536)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies

"""Load bench for ``engarde receiver``: N signed deliveries with duplicates and forgeries over loopback.

    .venv/bin/python bench/webhook_load.py [--count 10000] [--concurrency 32] [--senders 2]
        [--backend sqlite|postgresql|both] [--postgres-url URL] [--workers 1 2] [--rounds 3] [--no-floor]

For each backend and worker count it starts the receiver (`deployments.cli_webhooks receiver`,
i.e. `engarde receiver`) on a fresh, migrated database, fires the deliveries from ``--senders``
processes (a minimal keep-alive HTTP/1.1 client on raw asyncio streams, so the generator is not
the bottleneck), then checks: stored rows == unique valid deliveries (and exactly their keys),
every forged one 401, no 5xx, no lost request. In the same round it measures the floor
(bench/floor_app.py: a bare FastAPI endpoint verifying the HMAC and inserting with sqlite3, or
with one psycopg connection per worker on PostgreSQL) with the same generator, the same worker
count and a fresh database. Rounds interleave floor and receiver; medians are reported, with
the receiver/floor ratios of rate and p99. Prints one JSON report (also written to bench/results/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.poshvip import dedupe_key  # noqa: E402
from sandbox.poshvip_sender import build_deliveries  # noqa: E402
from sandbox.world import build_world  # noqa: E402

SECRET = "bench-poshvip-secret"
PATH = "/api/webhooks/poshvip"

Item = tuple[bytes, str, str]  # body, signature, kind


# --------------------------------------------------------------------------- load generator


async def _sender(port: int, path: str, items: list[Item], concurrency: int) -> dict[str, Any]:
    queue: asyncio.Queue[Item] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    latencies: list[float] = []
    by_kind: dict[str, Counter[int]] = {}
    errors: Counter[str] = Counter()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                body, signature, kind = queue.get_nowait()
                head = (
                    f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    f"X-Posh-Signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode()
                started = time.perf_counter()
                try:
                    writer.write(head + body)
                    status_head = await reader.readuntil(b"\r\n\r\n")
                    lines = status_head.split(b"\r\n")
                    status = int(lines[0].split()[1])
                    length = 0
                    for line in lines[1:]:
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    if length:
                        await reader.readexactly(length)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    errors[type(exc).__name__] += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                by_kind.setdefault(kind, Counter())[status] += 1
        finally:
            writer.close()

    await asyncio.gather(*[connection() for _ in range(concurrency)])
    return {
        "latencies": latencies,
        "by_kind": {k: dict(v) for k, v in by_kind.items()},
        "errors": dict(errors),
    }


def _sender_process(args: tuple[int, str, list[Item], int]) -> dict[str, Any]:
    port, path, items, concurrency = args
    return asyncio.run(_sender(port, path, items, concurrency))


def fire(port: int, path: str, items: list[Item], *, senders: int, concurrency: int) -> dict[str, Any]:
    """Send ``items`` from ``senders`` processes; merge their results; wall time around all of them."""
    chunks = [items[i::senders] for i in range(senders)]
    per = max(1, concurrency // senders)
    ctx = mp.get_context("fork")
    with ctx.Pool(senders) as pool:
        started = time.perf_counter()
        results = pool.map(_sender_process, [(port, path, chunk, per) for chunk in chunks])
        seconds = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r["latencies"])
    by_kind: dict[str, Counter[int]] = {}
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
        for kind, statuses in r["by_kind"].items():
            by_kind.setdefault(kind, Counter()).update({int(s): n for s, n in statuses.items()})

    def pct(q: float) -> float:
        return (
            round(latencies[min(len(latencies) - 1, int(q / 100 * len(latencies)))], 2) if latencies else 0.0
        )

    answered = len(latencies)
    return {
        "deliveries": len(items),
        "answered": answered,
        "seconds": round(seconds, 3),
        "deliveries_per_s": round(answered / seconds, 1),
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "max_ms": round(latencies[-1], 2) if latencies else 0.0,
        "by_kind": {k: {str(s): n for s, n in sorted(v.items())} for k, v in by_kind.items()},
        "errors": dict(errors),
    }


# --------------------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 600) -> None:
    """Wait until ``url`` answers; stop ``proc`` and raise if it exits or stays silent for ``timeout`` s."""
    try:
        _poll_ready(url, proc, timeout)
    except BaseException:
        _stop(proc)
        raise


def _poll_ready(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid`` and its children (uvicorn workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(c) for c in children.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def start_receiver(database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """``engarde receiver`` in a subprocess, on ``database_url``."""
    env = {**os.environ, "DATABASE_URL": database_url, "POSHVIP_WEBHOOK_SECRET": SECRET}
    env.pop("PREFECT_API_URL", None)
    code = "from deployments.cli_webhooks import app; app(prog_name='engarde')"
    cmd = [
        sys.executable,
        "-c",
        code,
        "receiver",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    _wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
    return proc


def start_floor(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    """The floor app (bench/floor_app.py) with ``workers`` workers; ``env`` picks its database."""
    full_env = {**os.environ, "FLOOR_SECRET": SECRET, **env}
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "floor_app.py"),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env)
    _wait_ready(f"http://127.0.0.1:{port}/docs", proc)
    return proc


# --------------------------------------------------------------------------- checks


def expected_keys(items: list[Item]) -> set[str]:
    """The dedupe keys of the unique valid deliveries."""
    return {dedupe_key(body) for body, _, kind in items if kind != "forged"}


def check(result: dict[str, Any], stored: set[str], items: list[Item]) -> dict[str, Any]:
    """Correctness verdicts of one run."""
    want = expected_keys(items)
    statuses: Counter[str] = Counter()
    for per_kind in result["by_kind"].values():
        statuses.update(per_kind)
    forged = result["by_kind"].get("forged", {})
    n_forged = sum(1 for _, _, k in items if k == "forged")
    return {
        "unique_valid": len(want),
        "stored_rows": len(stored),
        "stored_equals_unique_valid": stored == want,
        "forged_all_401": forged == ({"401": n_forged} if n_forged else {}),
        "lost": result["deliveries"] - result["answered"],
        "5xx": sum(n for s, n in statuses.items() if s.startswith("5")),
        "accepted_202": statuses.get("202", 0),
    }


def run_receiver(
    database_url: str, items: list[Item], args: argparse.Namespace, stored_keys: Any, workers: int
) -> dict[str, Any]:
    """Bench ``engarde receiver`` on ``database_url``."""
    from store.db import make_engine
    from store.migrate import upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    port = _free_port()
    proc = start_receiver(database_url, port, workers)
    try:
        cpu = cpu_seconds(proc.pid)
        result = fire(port, PATH, items, senders=args.senders, concurrency=args.concurrency)
        result["server_cpu_ms_per_delivery"] = round((cpu_seconds(proc.pid) - cpu) * 1000 / len(items), 3)
    finally:
        _stop(proc)
    result["checks"] = check(result, stored_keys(database_url), items)
    return result


def receiver_keys(database_url: str) -> set[str]:
    """Keys stored by the receiver."""
    from sqlalchemy import select

    from store.db import make_engine
    from store.models import WebhookEvent

    engine = make_engine(database_url)
    with engine.connect() as conn:
        keys = {str(k) for k in conn.execute(select(WebhookEvent.event_key)).scalars()}
    engine.dispose()
    return keys


def run_floor(database: str, items: list[Item], args: argparse.Namespace, workers: int) -> dict[str, Any]:
    """Bench the floor app on ``database`` (a SQLite file path or a PostgreSQL URL)."""
    postgres = database.startswith("postgresql")
    env = {"FLOOR_DATABASE_URL": database} if postgres else {"FLOOR_DB": database}
    port = _free_port()
    proc = start_floor(env, port, workers)
    try:
        cpu = cpu_seconds(proc.pid)
        result = fire(port, "/floor", items, senders=args.senders, concurrency=args.concurrency)
        result["server_cpu_ms_per_delivery"] = round((cpu_seconds(proc.pid) - cpu) * 1000 / len(items), 3)
    finally:
        _stop(proc)
    if postgres:
        import psycopg

        with psycopg.connect(database) as conn:
            stored = conn.execute("SELECT count(*) FROM events").fetchone()
        rows = int(stored[0]) if stored else 0
    else:
        with sqlite3.connect(database) as conn:
            rows = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    result["checks"] = {"stored_rows": rows, "unique_valid": len(expected_keys(items))}
    return result


def _postgres_database(base: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"engarde_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres_database(base: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(
        base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def one_round(
    backend: str, workers: int, items: list[Item], args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """Floor then receiver, each on a fresh database of ``backend``."""
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if backend == "sqlite":
            floor_db, receiver_db = str(tmp / "floor.db"), f"sqlite:///{tmp / 'receiver.db'}"
        else:
            floor_db, receiver_db = (
                _postgres_database(args.postgres_url),
                _postgres_database(args.postgres_url),
            )
        try:
            if not args.no_floor:
                out["floor"] = run_floor(floor_db, items, args, workers)
            out["receiver"] = run_receiver(receiver_db, items, args, receiver_keys, workers)
        finally:
            if backend == "postgresql":
                for url in (floor_db, receiver_db):
                    _drop_postgres_database(args.postgres_url, url)
    return out


def summarise(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Medians per server, receiver/floor ratios, and the rounds themselves."""
    summary: dict[str, Any] = {}
    for server in ("floor", "receiver"):
        results = [r[server] for r in rounds if server in r]
        if results:
            summary[server] = {
                key: statistics.median(r[key] for r in results)
                for key in ("deliveries_per_s", "p50_ms", "p99_ms", "server_cpu_ms_per_delivery")
            }
            summary[server]["stored_equals_unique_valid"] = all(
                r["checks"]["stored_rows"] == r["checks"]["unique_valid"] for r in results
            )
    if "floor" in summary:
        ours, floor = summary["receiver"], summary["floor"]
        summary["receiver_vs_floor"] = {
            "rate_ratio": round(ours["deliveries_per_s"] / floor["deliveries_per_s"], 2),
            "p99_ratio": round(ours["p99_ms"] / floor["p99_ms"], 2),
            "rate_ratio_per_round": [
                round(r["receiver"]["deliveries_per_s"] / r["floor"]["deliveries_per_s"], 2) for r in rounds
            ],
            "p99_ratio_per_round": [round(r["receiver"]["p99_ms"] / r["floor"]["p99_ms"], 2) for r in rounds],
        }
    summary["rounds"] = rounds
    return summary


def main() -> None:
    """Run the bench and print the JSON report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--duplicate-rate", type=float, default=0.30)
    parser.add_argument("--forged-rate", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1], help="worker counts to bench (e.g. 1 2)"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "postgres", "both"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL"))
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved floor/receiver rounds (medians reported)"
    )
    args = parser.parse_args()
    backends = {"sqlite": ["sqlite"], "postgresql": ["postgresql"], "postgres": ["postgresql"]}.get(
        args.backend, ["sqlite", "postgresql"]
    )
    if "postgresql" in backends and not args.postgres_url:
        parser.error("PostgreSQL needs --postgres-url or TEST_POSTGRES_URL (scripts/postgres.sh prints one)")

    deliveries = build_deliveries(
        build_world(3000, 7),
        args.count,
        secret=SECRET,
        duplicate_rate=args.duplicate_rate,
        forged_rate=args.forged_rate,
    )
    items: list[Item] = [(d.body, d.signature, d.kind) for d in deliveries]
    report: dict[str, Any] = {
        "count": args.count,
        "duplicate_rate": args.duplicate_rate,
        "forged_rate": args.forged_rate,
        "concurrency": args.concurrency,
        "senders": args.senders,
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
    }
    checks: list[dict[str, Any]] = []
    for backend in backends:
        for workers in args.workers:
            rounds = [one_round(backend, workers, items, args) for _ in range(args.rounds)]
            report[f"{backend}_workers_{workers}"] = summarise(rounds)
            checks += [r["receiver"]["checks"] for r in rounds]
    report["all_checks_pass"] = all(
        c["stored_equals_unique_valid"] and c["forged_all_401"] and c["lost"] == 0 and c["5xx"] == 0
        for c in checks
    )
    out = json.dumps(report, indent=2)
    print(out)
    print(headline(report), file=sys.stderr)
    if not report["all_checks_pass"]:
        sys.exit(1)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"webhook_load_{int(time.time())}.json").write_text(out)


def headline(report: dict[str, Any]) -> str:
    """One line per backend and worker count: rates, p50 / p99, server CPU, ratios, stored = unique valid."""
    lines = []
    for name, summary in report.items():
        if not (isinstance(summary, dict) and "receiver" in summary):
            continue
        ours, floor = summary["receiver"], summary.get("floor")
        line = (
            f"{name}: receiver {ours['deliveries_per_s']}/s p50 {ours['p50_ms']} ms p99 {ours['p99_ms']} ms "
            f"cpu {ours['server_cpu_ms_per_delivery']} ms/delivery, "
            f"stored = unique valid: {ours['stored_equals_unique_valid']}"
        )
        if floor:
            ratio = summary["receiver_vs_floor"]
            line += (
                f" | floor {floor['deliveries_per_s']}/s p50 {floor['p50_ms']} ms p99 {floor['p99_ms']} ms"
                f" cpu {floor['server_cpu_ms_per_delivery']} ms/delivery"
                f" | rate x{ratio['rate_ratio']} (rounds {ratio['rate_ratio_per_round']}),"
                f" p99 x{ratio['p99_ratio']} (rounds {ratio['p99_ratio_per_round']})"
            )
        lines.append(line)
    return "\n".join(lines)


if __name__ == "__main__":
    main()

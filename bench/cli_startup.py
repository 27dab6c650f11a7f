"""Benchmark: ``engarde`` commands as whole processes, against their floors.

- ``engarde --help`` and ``engarde config``: target 0.3 s (floor: ``python -c pass``);
- ``engarde appointments`` listing every appointment of a twin-served world (20,000 by default):
  target 1.5x a plain httpx-paging script doing the same as a whole process (customers, services
  and providers once, appointments page by page, one printed line per appointment).

The sandbox runs in this process (uvicorn in a thread); each command runs once to warm up (and
cache bytecode, as an installed tool has it), then ``--runs`` times, alternating; the medians of
wall time and of CPU time (user + system: on a shared machine the wall time is mostly the wait
for a core) are reported.

    .venv/bin/python bench/cli_startup.py --scale 20000 --runs 5
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.framework import RunningSandbox, new_context  # noqa: E402

BIN = Path(sys.executable).parent
FROM, TILL = "2000-01-01", "2100-12-31"

FLOOR = f"""
FROM, TILL = {FROM!r}, {TILL!r}
"""
FLOOR += """
import sys, httpx
base, token = sys.argv[1], sys.argv[2]
api = base.rstrip("/") + "/index.php/api/v1"
with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
    def pages(path, params):
        rows, page = [], 1
        while True:
            batch = client.get(f"{api}/{path}", params={**params, "page": page, "length": 1000}).json()
            rows += batch
            if len(batch) < 1000:
                return rows
            page += 1
    services = {s["id"]: s["name"] for s in pages("services", {})}
    providers = {p["id"]: p["firstName"] for p in pages("providers", {})}
    customers = {c["id"]: c.get("email") or "" for c in pages("customers", {})}
    appointments = pages("appointments", {"from": FROM, "till": TILL, "sort": "id"})
out = [
    f'{a["id"]}  {a["start"]}  {a.get("status") or ""}  {services.get(a.get("serviceId"), "")}  '
    f'{providers.get(a.get("providerId"), "")}  {customers.get(a.get("customerId"), "")}'
    for a in appointments
]
sys.stdout.write("\\n".join(out) + "\\n")
print(f"{len(out)} appointments", file=sys.stderr)
"""


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one whole process; it must succeed.

    Both are reported: on a shared machine the wall time mostly measures the wait for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=20000, help="appointments in the twin's world")
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (medians reported)")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as tmp,
        RunningSandbox(new_context(scale=args.scale, seed=7)) as sandbox,
    ):
        env = {
            **os.environ,
            **sandbox.env,
            "ENGARDE_HOME": str(Path(tmp) / "home"),
            "EASYAPPOINTMENTS_RATE_LIMIT_REQUESTS": "100000",
        }
        # As installed: bytecode cached after the first run (the warm-up below writes it).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        floor_script = Path(tmp) / "floor.py"
        floor_script.write_text(FLOOR)
        token = sandbox.env["EASYAPPOINTMENTS_API_TOKEN"]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "engarde --help": [str(BIN / "engarde"), "--help"],
            "engarde config": [str(BIN / "engarde"), "config"],
            "floor (httpx paging)": [
                sys.executable,
                str(floor_script),
                sandbox.env["EASYAPPOINTMENTS_URL"],
                token,
            ],
            "engarde appointments": [
                str(BIN / "engarde"),
                "appointments",
                "--from",
                FROM,
                "--till",
                TILL,
            ],
        }
        wall: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm-up, not counted
            timed(cmd, env)
        for _ in range(args.runs):
            for name, cmd in commands.items():
                elapsed, used = timed(cmd, env)
                wall[name].append(elapsed)
                cpu[name].append(used)
    med_wall = {name: statistics.median(values) for name, values in wall.items()}
    med_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    print(f"{'command':24} {'wall s':>7} {'cpu s':>7}   (medians of {args.runs} runs)")
    for name in commands:
        print(f"{name:24} {med_wall[name]:7.3f} {med_cpu[name]:7.3f}")
    for label, med in (("wall", med_wall), ("cpu", med_cpu)):
        ratio = med["engarde appointments"] / med["floor (httpx paging)"]
        print(
            f"{label}: engarde --help {med['engarde --help']:.3f} s, engarde config {med['engarde config']:.3f} s "
            f"(target 0.3 s); engarde appointments / floor = {ratio:.2f}x (target 1.5x), {args.scale} appointments"
        )


if __name__ == "__main__":
    main()

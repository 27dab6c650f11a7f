"""Production's shape on loopback: a Prefect server on PostgreSQL, a work pool, N workers, the sandbox.

Built with the commands README's "Going to production" lists, in its order: PostgreSQL for the
project and for Prefect's own database, ``prefect server start``, ``engarde db upgrade``,
``engarde setup``, ``prefect deploy --all`` (the repository's ``prefect.yaml``), ``prefect worker
start --pool engarde`` per worker and ``engarde receiver``; the sandbox enforces the real API
budgets per client. Used by tests/e2e/test_distributed.py and bench/distributed.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from sandbox.framework import RunningSandbox, new_context
from store.db import make_engine
from store.migrate import upgrade
from tests.conftest import _postgres_database
from tests.e2e.conftest import free_port, prefect_server_process, stop_process_group

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ADMIN = "ops@engarde.example"
RUN_TIMEOUT = 900


@dataclass
class Cluster:
    """The running environment: the server's base URL, the machines' environment, the sandbox."""

    api: str
    env: dict[str, str]
    sandbox: RunningSandbox
    receiver: str
    logs: Path
    setup_output: str
    workers: tuple[str, ...]


def _cli(command: list[str], env: dict[str, str], timeout: float = 900) -> str:
    """Run one command as an admin would; its output, or an error showing it."""
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def machine_env(api: str, database: str, sandbox: RunningSandbox, home: Path) -> dict[str, str]:
    """What every machine of the deployment has: the server, the project database, the outside services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return {
        **env,
        **sandbox.env,
        "PREFECT_API_URL": f"{api}/api",
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "ENGARDE_HOME": str(home),
        "ENGARDE_PROJECT_DIR": str(ROOT),
        "ENGARDE_SECRET_KEY": "distributed-test-key",
        "ENGARDE_LOCK_POLL_SECONDS": "0.5",
        "DATABASE_URL": database,
        "ADMIN_NOTIFICATION_EMAILS": ADMIN,
    }


@contextmanager
def running_cluster(
    postgres: str,
    tmp: Path,
    *,
    workers: int = 2,
    worker_limit: int = 2,
    scale: int = 200,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """Everything started (databases made on the server at ``postgres``), then stopped and dropped.

    ``extra_env`` is added to every machine's environment (e.g. a connector's page length).
    """
    with ExitStack() as stack:
        prefect_db = stack.enter_context(contextmanager(_postgres_database)(postgres))
        project_db = stack.enter_context(contextmanager(_postgres_database)(postgres))
        server_env = {
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db.replace(
                "postgresql://", "postgresql+asyncpg://"
            ),
            # Every run is started on purpose: no scheduled runs competing for the cores.
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        }
        api = stack.enter_context(prefect_server_process(tmp / "server", server_env))
        sandbox = RunningSandbox(new_context(scale=scale, seed=10, budgets=True)).start()
        stack.callback(sandbox.stop)
        env = {**machine_env(api, project_db, sandbox, tmp / "home"), **(extra_env or {})}
        upgrade(make_engine(project_db))  # what `engarde db upgrade` does
        setup_output = _cli([str(BIN / "engarde"), "setup"], env)  # the work pool first: deploy needs it
        _cli([str(BIN / "prefect"), "--no-prompt", "deploy", "--all"], env)
        names = tuple(f"worker-{i + 1}" for i in range(workers))
        for name in names:
            command = [str(BIN / "prefect"), "worker", "start", "--pool", "engarde", "--name", name]
            worker = _start([*command, "--limit", str(worker_limit)], env, tmp / f"{name}.log")
            stack.callback(stop_process_group, worker)
        port = free_port()
        receiver = _start(
            [str(BIN / "engarde"), "receiver", "--port", str(port), "--log-level", "warning"],
            env,
            tmp / "receiver.log",
        )
        stack.callback(stop_process_group, receiver)
        yield Cluster(api, env, sandbox, f"http://127.0.0.1:{port}", tmp, setup_output, names)


@asynccontextmanager
async def prefect_api(cluster: Cluster) -> AsyncIterator[Any]:
    """A Prefect client on the cluster's server."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: f"{cluster.api}/api"}):
        async with get_client() as client:
            yield client


async def start_run(
    client: Any, deployment: str, parameters: dict[str, Any], job_variables: dict[str, Any] | None = None
) -> UUID:
    """Start a run of ``deployment`` (flow/deployment) as the UI's *Run* button does."""
    found = await client.read_deployment_by_name(deployment)
    run = await client.create_flow_run_from_deployment(
        found.id, parameters=parameters, job_variables=job_variables
    )
    return UUID(str(run.id))


async def finished(client: Any, run_id: UUID, wait: float = RUN_TIMEOUT) -> Any:
    """The flow run once final (polling the API)."""
    from prefect.flow_runs import wait_for_flow_run

    return await wait_for_flow_run(run_id, timeout=int(wait), client=client)


async def run_deployment(cluster: Cluster, deployment: str, **parameters: Any) -> Any:
    """One run of ``deployment`` through the workers, to its end."""
    async with prefect_api(cluster) as client:
        return await finished(client, await start_run(client, deployment, parameters))


async def child_runs(client: Any, parent_id: UUID) -> list[Any]:
    """The flow runs started as subflows of ``parent_id`` (a backfill's windows)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    only = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id]))
    return list(await client.read_flow_runs(flow_run_filter=only))


def worker_of(run: Any) -> str | None:
    """The name of the worker that ran ``run`` (the label each worker puts on the runs it takes)."""
    labels: dict[str, Any] = dict(run.labels or {})
    return labels.get("prefect.worker.name")

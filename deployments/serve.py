"""Serve every deployment of prefect.yaml from this process: schedules run without a worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"


def deployment_specs(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    """The ``deployments:`` entries of prefect.yaml."""
    data = yaml.safe_load(path.read_text()) or {}
    return list(data.get("deployments") or [])


def serve_all(path: Path = PREFECT_YAML) -> None:
    """Turn each prefect.yaml deployment into a served deployment (same name, schedule, parameters)."""
    import importlib

    from prefect import serve
    from prefect.events import DeploymentEventTrigger
    from prefect.schedules import Cron, Interval

    served = []
    for spec in deployment_specs(path):
        module_path, _, func = spec["entrypoint"].partition(":")
        module = importlib.import_module(module_path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, func)
        schedules = []
        for sched in spec.get("schedules") or []:
            if "cron" in sched:
                schedules.append(Cron(sched["cron"], timezone=sched.get("timezone", "UTC")))
            elif "interval" in sched:
                schedules.append(Interval(sched["interval"]))
        triggers = [
            DeploymentEventTrigger(
                expect=set(t.get("expect") or []),
                match=t.get("match") or {},
                enabled=t.get("enabled", True),
            )
            for t in spec.get("triggers") or []
            if t.get("type") == "event"
        ]
        served.append(
            flow.to_deployment(
                name=spec["name"],
                parameters=spec.get("parameters") or {},
                schedules=schedules,
                triggers=triggers,
                description=spec.get("description"),
                tags=spec.get("tags") or [],
            )
        )
    serve(*served)

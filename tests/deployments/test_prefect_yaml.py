"""prefect.yaml: every deployment points at a real flow; `engarde serve` can build each of them."""

from __future__ import annotations

import importlib

from deployments.flows_index import FLOWS, load_flow
from deployments.serve import deployment_specs


def test_every_entrypoint_is_a_flow_of_the_index() -> None:
    specs = deployment_specs()
    assert {s["name"] for s in specs} >= {"audience-sync-daily", "audience-backfill", "poshvip-events"}
    targets = {f"{m.replace('.', '/')}.py:{a}" for m, _, a in (t.partition(":") for t in FLOWS.values())}
    for spec in specs:
        assert spec["entrypoint"] in targets, spec["entrypoint"]
        module, _, attr = spec["entrypoint"].partition(":")
        flow = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), attr)
        assert hasattr(flow, "to_deployment")


def test_every_indexed_flow_loads() -> None:
    for name in FLOWS:
        assert load_flow(name).name == name

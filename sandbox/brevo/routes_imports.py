"""The Brevo twin's imports and processes: ``POST /contacts/import``, ``GET /processes[/{id}]``, reports."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from sandbox.brevo.endpoint import Endpoint, Twin, page
from sandbox.brevo.failures import FINAL
from sandbox.brevo.imports import REPORT_KINDS, advance
from sandbox.brevo.shapes import ApiError, now_iso
from sandbox.brevo.state import BrevoState


def _import_lists(state: BrevoState, body: dict[str, Any]) -> None:
    """Create ``newList`` if asked (its id joins ``listIds``); 400 for a list that does not exist."""
    if not body.get("listIds") and not body.get("newList"):
        raise ApiError(400, "missing_parameter", "listIds or newList is required")
    if body.get("newList"):
        new = body["newList"]
        list_id = state.next_id("list", start=2)
        folder = int(new.get("folderId") or min(state.folders))
        state.lists[list_id] = {
            "id": list_id,
            "name": new.get("listName"),
            "folderId": folder,
            "createdAt": time.time(),
        }
        body["listIds"] = [*(body.get("listIds") or []), list_id]
    for list_id in body["listIds"]:
        if int(list_id) not in state.lists:
            raise ApiError(400, "invalid_parameter", f"List ID {list_id} does not exist")


async def import_contacts(twin: Twin, _: Request, body: Any) -> Response:
    """``POST /contacts/import``: 202 ``{"processId"}``; the rows are written when the process completes."""
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "Invalid request body")
    if not any(body.get(k) for k in ("jsonBody", "fileBody", "fileUrl")):
        raise ApiError(400, "missing_parameter", "jsonBody, fileBody or fileUrl is required")
    if body.get("fileBody") or body.get("fileUrl"):
        raise ApiError(400, "invalid_parameter", "the sandbox imports jsonBody only")
    _import_lists(twin.state, body)
    await twin.hooks.reach("brevo.import.received")
    process_id = twin.state.next_id("process", start=100)
    twin.state.processes[process_id] = {
        "id": process_id,
        "name": "IMPORTUSER",
        "status": "queued",
        "created": twin.state.clock(),
        "polls": 0,
        "rows": len(body["jsonBody"]),
        "body": body,
    }
    await twin.hooks.reach("brevo.import.accepted")
    return JSONResponse({"processId": process_id}, status_code=202)


async def get_processes(twin: Twin, request: Request, _: Any) -> Response:
    """``GET /processes``: newest first unless ``sort=asc``, at most 50 a page (Swagger)."""
    limit, offset, order = page(request, default=10, maximum=50)
    ids = sorted(twin.state.processes, reverse=order != "asc")[offset : offset + limit]
    items = []
    for process_id in ids:
        process = twin.state.processes[process_id]
        item = {"id": process_id, "name": process["name"], "status": process["status"]}
        item["created_at"] = now_iso(process["created"])
        if process["status"] in FINAL:
            item["completed_at"] = now_iso(process["completed_at"])
        if "error" in process:
            item["error"] = process["error"]
        items.append(item)
    return JSONResponse({"count": len(twin.state.processes), "processes": items})


def _report_urls(request: Request, process: dict[str, Any]) -> dict[str, Any]:
    path = request.url.path
    base = f"{request.url.scheme}://{request.url.netloc}{path[: path.index('/v3/')]}"
    reports = process.get("reports", {})
    return {
        kind: (f"{base}/reports/{process['id']}/{kind}.csv" if kind in reports else None)
        for kind in REPORT_KINDS
    }


async def get_process(twin: Twin, request: Request, _: Any) -> Response:
    """``GET /processes/{id}``: its status; once completed, ``info.import`` with the report URLs."""
    await twin.hooks.reach("brevo.process.polled")
    try:
        process = twin.state.processes[int(request.path_params["process_id"])]
    except (KeyError, ValueError) as exc:
        raise ApiError(404, "invalid_parameter", "processId is invalid") from exc
    advance(twin.state, process, polled=True)
    out: dict[str, Any] = {"id": process["id"], "name": process["name"], "status": process["status"]}
    out["created_at"] = now_iso(process["created"])
    if process["status"] == "completed":
        out["info"] = {"import": _report_urls(request, process)}
        out["completed_at"] = now_iso(process["completed_at"])
    if process["status"] == "failed":
        out |= {"error": process["error"], "completed_at": now_iso(process["completed_at"])}
    return JSONResponse(out)


def report_endpoint(state: BrevoState) -> Endpoint:
    """``GET /reports/{process_id}/{kind}.csv``: a pre-signed report download (no API key)."""

    async def report(request: Request) -> Response:
        process = state.processes.get(int(request.path_params["process_id"]))
        kind = request.path_params["kind"]
        if process is None or kind not in process.get("reports", {}):
            return PlainTextResponse("NoSuchKey", status_code=404)
        rows = "".join(f"{e}\n" for e in process["reports"][kind])
        return PlainTextResponse("EMAIL\n" + rows, media_type="text/csv")

    return report

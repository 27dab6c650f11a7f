"""Serving the receiver: ``serve`` for ``engarde receiver``, :class:`RunningReceiver` for tests and benches."""

from __future__ import annotations

import asyncio
import os
import socket
from typing import TYPE_CHECKING

import uvicorn

from serving.threaded_server import ThreadedServer

if TYPE_CHECKING:  # the app is imported when served: serve_workers' callers need only uvicorn
    from fastapi import FastAPI


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    insecure_dev: bool = False,
    log_level: str = "info",
) -> None:
    """Serve the receiver with uvicorn until interrupted; settings come from the environment.

    The settings are checked here first so a missing secret stops the command before any
    worker starts. Several workers each run their own writer and counters, and share one
    listening socket bound here (see :func:`listening_socket`). Responses go out in one
    write each (:mod:`webhooks.coalesce`).
    """
    from webhooks.app import check_settings, create_app
    from webhooks.coalesce import CoalescingH11Protocol
    from webhooks.settings import ReceiverSettings

    if insecure_dev:
        os.environ["RECEIVER_INSECURE_DEV"] = "1"
    settings = ReceiverSettings()
    if workers <= 1:
        uvicorn.run(
            create_app(settings, tune_process=True),
            host=host,
            port=port,
            log_level=log_level,
            access_log=False,
            http=CoalescingH11Protocol,
        )
        return
    check_settings(settings)
    serve_workers(
        "webhooks.app:app_from_env",
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        http=CoalescingH11Protocol,
    )


def serve_workers(
    target: str,
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
    factory: bool = True,
    http: type[asyncio.Protocol] | str = "auto",
) -> None:
    """Serve the ASGI app ``target`` ("module:attribute") from ``workers`` uvicorn processes on one socket.

    ``http``: uvicorn's HTTP protocol (the receiver passes :class:`webhooks.coalesce.CoalescingH11Protocol`).
    """
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        target,
        factory=factory,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
        http=http,
    )
    with listening_socket(host, port) as sock:
        Multiprocess(config, sockets=[sock]).run()


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket whose accepted connections get TCP_NODELAY in every worker.

    asyncio turns Nagle's algorithm off only on sockets whose protocol number says TCP;
    uvicorn's own multi-worker socket leaves it 0, so every response waited for the
    client's delayed ACK (~40 ms a request on a kept-alive connection). Accepted sockets
    inherit the listening socket's protocol, so binding it with ``IPPROTO_TCP`` fixes all workers.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        from webhooks.app import ReceiverConfigError

        raise ReceiverConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


class RunningReceiver(ThreadedServer):
    """The receiver app served in a background thread."""

    def __init__(self, app: FastAPI, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(app, host=host, port=port, name="engarde-receiver")

"""An ASGI app served by uvicorn on a loopback port in a background thread.

The receiver's tests and the demo (:class:`webhooks.server.RunningReceiver`) and the sandbox
(:class:`sandbox.framework.RunningSandbox`) both serve their app this way.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Literal, Self

import uvicorn

if TYPE_CHECKING:
    from starlette.types import ASGIApp


class ThreadedServer:
    """An ASGI app served by uvicorn on a loopback port in a background thread (``.base_url`` once started).

    Used for the receiver in tests and the demo, and for the sandbox.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "engarde-server",
        lifespan: Literal["auto", "on", "off"] = "auto",
    ) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan=lifespan
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)
        self._name = name
        self.base_url = ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Self:
        """Start serving and wait until the port is bound (raises if startup failed)."""
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self._name} failed to start")
            threading.Event().wait(0.02)
        sock = self._server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        """Stop serving (the app's shutdown runs, e.g. the receiver flushes its writer) and join the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=15)

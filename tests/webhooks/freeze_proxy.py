"""A loopback TCP proxy that can stop forwarding: a database that stops answering without closing anything.

While frozen it keeps accepting and reading, but holds every byte (both ways) until thawed:
what a paused server, a network partition or a failover looks like from the client's side.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Self


class FreezeProxy:
    """Forwards 127.0.0.1:<port> to ``target``; :meth:`freeze` / :meth:`thaw` stop and resume the traffic."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = False
        self._sockets: list[socket.socket] = []

    def __enter__(self) -> Self:
        threading.Thread(target=self._accept, name="freeze-proxy", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        self._flowing.set()
        self._listener.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.close()

    def freeze(self) -> None:
        """Hold all traffic from now on (connections stay open, new ones are accepted and held too)."""
        self._flowing.clear()

    def thaw(self) -> None:
        """Forward again, including what was held."""
        self._flowing.set()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._open, args=(client,), daemon=True).start()

    def _open(self, client: socket.socket) -> None:
        self._flowing.wait()
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        self._sockets += [client, upstream]
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                self._flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

"""One stdin attachment per container, reopened when Docker ends it."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

from ..docker.engine import DockerEngine
from ..errors import Conflict, EngineUnavailable


class StdinWriter:
    """Writes lines to a container's stdin through one attachment, reopened when it breaks."""

    def __init__(self, engine: DockerEngine, container_id: str) -> None:
        self.engine = engine
        self.container_id = container_id
        self._socket: Any = None
        self._started_at = ""
        self._lock = threading.Lock()

    def write(self, data: bytes, started_at: str = "") -> None:
        """Send ``data`` to the container's stdin (blocking; call from a worker thread).

        ``started_at`` is when the container's process started: an attachment made to an
        earlier run of it is replaced (it no longer reaches the process).
        """
        with self._lock:
            if started_at != self._started_at:
                self._close_socket()
                self._started_at = started_at
            if self._socket is not None and not self._alive():
                # Docker ended the attachment (the container stopped or restarted): a write to
                # it now could vanish into the socket's buffer.
                self._close_socket()
            for attempt in (1, 2):
                if self._socket is None:
                    self._socket = self.engine.attach_stdin(self.container_id)
                try:
                    self._socket.sendall(data)
                    return
                except OSError:
                    self._close_socket()
                    if attempt == 2:
                        raise EngineUnavailable(
                            "Could not write to the container's stdin (did it stop?)."
                        ) from None

    def _alive(self) -> bool:
        """Whether Docker still holds the attachment open (a non-blocking peek for EOF)."""
        sock = self._socket
        try:
            sock.setblocking(False)
            try:
                return sock.recv(1, socket.MSG_PEEK) != b""
            finally:
                sock.setblocking(True)
        except BlockingIOError:
            return True
        except OSError:
            return False

    def _close_socket(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def close(self) -> None:
        """Detach from the container's stdin."""
        with self._lock:
            self._close_socket()


class StdinWriters:
    """The stdin attachments of one engine, one per container (the server's and a kernel's).

    An attachment stays as long as its container: for a container created with StdinOnce
    (docker-py's ``stdin_open=True`` sets it), Docker closes the container's stdin for good when
    the attached client leaves. :meth:`forget` drops it once the container is removed.
    """

    def __init__(self, engine: DockerEngine) -> None:
        self.engine = engine
        self._writers: dict[str, StdinWriter] = {}
        self._lock = threading.Lock()

    def send(self, ref: str, text: str) -> None:
        """Type ``text`` on the stdin of the running container ``ref`` (blocking).

        Raises :class:`~littlewings_jupyter.errors.StdinNotOpen` for a container created
        without stdin open, :class:`~littlewings_jupyter.errors.Conflict` when it does not run.
        """
        current = self.engine.resolve(ref)
        self.engine.ensure_stdin_open(current)
        if current.state != "running":
            raise Conflict(
                f"Container {current.name!r} is {current.state}; start it to send to its stdin.",
                state=current.state,
            )
        with self._lock:
            writer = self._writers.get(current.id)
            if writer is None:
                writer = self._writers[current.id] = StdinWriter(self.engine, current.id)
        writer.write(text.encode("utf-8"), current.started_at)

    def forget(self, container_id: str) -> None:
        """Detach from a container that is gone."""
        with self._lock:
            writer = self._writers.pop(container_id, None)
        if writer is not None:
            writer.close()

    def close(self) -> None:
        """Detach from every container."""
        with self._lock:
            writers, self._writers = list(self._writers.values()), {}
        for writer in writers:
            writer.close()

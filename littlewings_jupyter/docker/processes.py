"""Programs run in a container: a command with ``docker exec`` (:class:`Exec`) and an
interactive shell on a terminal (:class:`ShellProcess`). Both block: the session core calls
them from worker threads, the Python API from the calling thread."""

from __future__ import annotations

import contextlib
import secrets
import select
import socket
import threading
import time
from typing import Any, Callable

from ..errors import Conflict, LittleWingsError
from .engine import DockerEngine
from .framing import DockerStream, read_exec_output
from .models import check_terminal_size


class Exec:
    """One command run with ``docker exec``: start it, read its output, get its exit code.

    Every caller runs commands through this class: the session core (each step in its worker
    pool) and the Python API (:meth:`run`, in the calling thread). The steps block.
    """

    def __init__(
        self, engine: DockerEngine, container_id: str, argv: list[str], **options: Any
    ) -> None:
        self.engine = engine
        self.container_id = container_id
        self.argv = argv
        # Docker cannot signal an exec: its processes carry this mark in their environment,
        # and `stop` finds them by it inside the container (children inherit it).
        self.mark = secrets.token_hex(8)
        environment = options.pop("environment", None) or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        options["environment"] = {**environment, EXEC_MARK: self.mark}
        self.options = options
        self.exec_id: str | None = None
        self.stream: DockerStream | None = None
        self.cancelled = False
        self.timed_out = False
        self.stopped = False
        self.started = time.monotonic()

    def start(self) -> None:
        """Create and start the exec (its output stream is then open)."""
        self.started = time.monotonic()
        self.exec_id, self.stream = self.engine.exec_start(
            self.container_id, self.argv, **self.options
        )
        if self.cancelled:
            self.stream.close()

    def read(self, on_output: Callable[[int, str], None], timeout: float | None = None) -> None:
        """Hand each piece of output to ``on_output(STDOUT or STDERR, text)`` until it ends.

        Each block Docker gives is handed on at once: a command that floods is batched by the
        reads themselves, and one that prints a prompt and waits is not delayed.
        """
        if self.stream is None:
            raise RuntimeError("Exec.read before Exec.start")
        self.timed_out = read_exec_output(self.stream, on_output, timeout)

    def exit_code(self) -> int | None:
        """The exit code once the output ended (None if cancelled or timed out)."""
        if self.cancelled or self.timed_out or self.exec_id is None:
            return None
        return self.engine.exec_exit_code(self.exec_id)

    def run(
        self, on_output: Callable[[int, str], None], timeout: float | None = None
    ) -> int | None:
        """Start, read to the end (or ``timeout``), and return the exit code."""
        self.start()
        self.read(on_output, timeout)
        return self.exit_code()

    @property
    def duration(self) -> float:
        """Seconds since the command started."""
        return time.monotonic() - self.started

    def cancel(self) -> None:
        """Stop reading (the process goes on in the container: :meth:`stop` ends it)."""
        self.cancelled = True
        if self.stream is not None:
            self.stream.close()

    def running(self) -> bool:
        """Whether Docker says the command still runs."""
        if self.exec_id is None:
            return False
        exec_id = self.exec_id
        return bool(self.engine.call(lambda: self.engine.api.exec_inspect(exec_id)).get("Running"))

    def stop(self, grace: float = 2.0) -> bool:
        """End the command's processes in the container, as Ctrl-C then ``kill`` would: SIGINT,
        then SIGTERM, then SIGKILL, ``grace`` seconds apart, until Docker says it ended.

        Every process that carries this exec's mark in its environment (the command and what
        it started) is signalled from inside the container, by ``/bin/sh`` there: an image
        without a shell keeps its process (False is returned). Blocks.
        """
        self.stopped = True
        if self.exec_id is None:
            return True
        for signal_name in ("INT", "TERM", "KILL"):
            try:
                if not self.running():
                    return True
                self.engine.exec_start(
                    self.container_id, ["/bin/sh", "-c", STOP_SCRIPT, "sh", signal_name, self.mark]
                )[1].close()
            except LittleWingsError:
                return not self.running() if self.exec_id else True
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                if not self.running():
                    return True
                time.sleep(0.05)
        return not self.running()


EXEC_MARK = "LITTLEWINGS_EXEC"
# Signal every process whose environment holds the mark (not this script: it has none).
STOP_SCRIPT = r"""
for p in /proc/[0-9]*; do
  if tr '\0' '\n' < "$p/environ" 2>/dev/null | grep -qx "LITTLEWINGS_EXEC=$2"; then
    kill -s "$1" "${p#/proc/}" 2>/dev/null
  fi
done
exit 0
"""


# Runs bash when the container has it, else sh (``c.LittleWings.shell_command`` overrides it).
DEFAULT_SHELL = [
    "/bin/sh",
    "-c",
    "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi",
]


class ShellProcess:
    """An interactive command in a container (``docker exec -it``): a TTY, its bytes both ways.

    One implementation for the session core (a console's Shell tab, a widget's) and the Python
    API (``Container.shell()``). Every method blocks; :meth:`close` may come from any thread.
    """

    def __init__(
        self,
        engine: DockerEngine,
        container_id: str,
        argv: list[str] | None = None,
        rows: int = 24,
        cols: int = 80,
        user: str | None = None,
    ) -> None:
        self.engine = engine
        self.container_id = container_id
        self.argv = list(argv or DEFAULT_SHELL)
        self.rows, self.cols = check_terminal_size(rows, cols)
        self.user = user
        self.exec_id: str | None = None
        self.started = time.monotonic()
        self._socket: Any = None
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> None:
        """Create the exec with a TTY and stdin, start it, and size its terminal."""

        def start() -> None:
            api = self.engine.api
            created = api.exec_create(
                self.container_id,
                self.argv,
                stdin=True,
                tty=True,
                user=self.user or "",
                environment={"TERM": "xterm-256color"},
            )
            self.exec_id = created["Id"]
            sock = api.exec_start(self.exec_id, tty=True, socket=True)
            raw = getattr(sock, "_sock", sock)
            raw.settimeout(None)
            with self._lock:
                self._socket = raw
            import docker.errors

            try:
                api.exec_resize(self.exec_id, height=self.rows, width=self.cols)
            except docker.errors.APIError as exc:
                # Docker: 404; Podman: 500 "cannot resize session … exec session … not running".
                gone = isinstance(exc, docker.errors.NotFound) or "cannot resize" in str(
                    exc.explanation or ""
                )
                if not gone:
                    raise
                # The program could not start (no such file, no shell): the exec is gone and
                # the runtime's reason is what it printed.
                said = self.read(4096, timeout=1.0) or b""
                self.close()
                reason = said.decode("utf-8", "replace").strip() or "it exited at once"
                raise Conflict(f"{self.argv[0]!r} could not be started: {reason}") from None

        self.started = time.monotonic()
        self.engine.call(start, self.container_id)

    def read(self, size: int = 64 * 1024, timeout: float | None = None) -> bytes | None:
        """The next bytes the terminal shows: b"" once the shell ended or was closed, None
        when ``timeout`` seconds passed first."""
        sock = self._socket
        if sock is None:
            return b""
        try:
            if timeout is not None:
                ready, _, _ = select.select([sock], [], [], max(timeout, 0))
                if not ready:
                    return None
            return bytes(sock.recv(size))
        except (OSError, ValueError):  # closed meanwhile
            return b""

    def write(self, data: bytes) -> None:
        """Type ``data`` (keys, a paste) into the terminal."""
        with self._lock:
            sock = self._socket
        if sock is None or self._closed:
            raise Conflict("The shell has ended.")
        try:
            sock.sendall(data)
        except OSError:
            raise Conflict("The shell has ended.") from None

    def resize(self, rows: int, cols: int) -> None:
        """Give the terminal a new size (the shell gets SIGWINCH)."""
        self.rows, self.cols = check_terminal_size(rows, cols)
        if self.exec_id is not None:
            exec_id = self.exec_id
            self.engine.call(
                lambda: self.engine.api.exec_resize(exec_id, height=rows, width=cols),
                self.container_id,
            )

    def exit_code(self) -> int | None:
        """The shell's exit code once it ended (None while it runs or if Docker lost it)."""
        if self.exec_id is None:
            return None
        return self.engine.exec_exit_code(self.exec_id)

    @property
    def closed(self) -> bool:
        """Whether the terminal was hung up (by :meth:`close`)."""
        return self._closed

    @property
    def duration(self) -> float:
        """Seconds since the shell started."""
        return time.monotonic() - self.started

    def close(self) -> None:
        """Hang up: close the terminal's socket. The shell gets SIGHUP from its TTY (Docker
        has no call to stop an exec; a process that ignores SIGHUP goes on)."""
        with self._lock:
            self._closed = True
            sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


__all__ = ["Exec", "ShellProcess"]

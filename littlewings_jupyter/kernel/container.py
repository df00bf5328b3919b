"""A container from notebook cells, and what it hands out: live logs (:class:`~.follow.LogFollow`),
command results (:class:`~.processes.ExecResult`), shells (:class:`~.processes.Shell`), files
(:class:`~.files.Files`).

Get one with :func:`littlewings_jupyter.container` or :func:`littlewings_jupyter.containers`
(:mod:`.client`); a :class:`Container` holds its client as the small protocol
:class:`~.interfaces.ClientLike`, so this module does not import the client back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any, Callable, TypeVar

from ..docker.engine import DockerEngine
from ..docker.processes import Exec, ShellProcess
from ..errors import (
    Conflict,
    ContainerNotFound,
    DockerError,
    Forbidden,
    StdinNotOpen,
)
from ..parsing.lines import STDERR, STDOUT, Stream
from ..streams.base import iter_json_documents
from ..streams.stats import compute_stats
from .alerts import AlertSubscription, rule
from .dataframes import logs_frame, stats_frame
from .display import containers_table, containers_text
from .files import Files
from .follow import LogFollow, keep_lines
from .interfaces import ClientLike
from .lines import Line, cursor_after, docker_time, join_lines
from .processes import ExecResult, Shell
from .search import SearchMatch, search_history

T = TypeVar("T")

_RUNNING_STATES = ("running", "paused", "restarting")


# -- containers ----------------------------------------------------------------------------------


class Container:
    """A handle on one container, by id; get one with :func:`container` or :func:`containers`.

    Every method asks Docker afresh; :attr:`info` is the snapshot of the last answer.
    Methods that change the container (:meth:`start`, :meth:`stop` …) return the handle, so
    ``c.restart().status`` reads naturally.
    """

    def __init__(self, client: ClientLike, summary: dict[str, Any]) -> None:
        self.client = client
        self.id: str = summary["id"]
        self._summary = dict(summary)

    # -- identity and state ------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The container's name (without Docker's leading slash)."""
        return str(self._summary.get("name", self.id[:12]))

    @property
    def engine(self) -> DockerEngine:
        """The Docker engine the container is on (see :meth:`Client.engines`)."""
        return self.client.engine_named(self._summary.get("engine"))

    @property
    def engine_name(self) -> str:
        """The name of the engine the container is on."""
        return self.engine.name

    @property
    def short_id(self) -> str:
        """The first 12 characters of the id, as Docker shows it."""
        return self.id[:12]

    @property
    def image(self) -> str:
        """The image the container was made from."""
        return str(self._summary.get("image", ""))

    @property
    def labels(self) -> dict[str, str]:
        """The container's labels."""
        return dict(self._summary.get("labels") or {})

    @property
    def info(self) -> dict[str, Any]:
        """The summary of the last answer from Docker (state, status, health, exit code …)."""
        return dict(self._summary)

    @property
    def tty(self) -> bool:
        """Whether the container has a TTY (its output is then one stream)."""
        if "tty" not in self._summary:
            self.refresh()
        return bool(self._summary.get("tty"))

    def refresh(self) -> Container:
        """Ask Docker for the container's current details (:attr:`info`); returns the handle."""
        self._summary = self._call(self.engine.describe, self.id)
        return self

    @property
    def status(self) -> str:
        """The current state: ``created``, ``running``, ``paused``, ``restarting``, ``exited`` …

        Asks Docker each time (one inspect); :attr:`info` has the details of that answer.
        """
        return str(self.refresh()._summary.get("state", ""))

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a session-core call, naming this container if Docker no longer knows it."""
        try:
            return fn(*args, **kwargs)
        except ContainerNotFound:
            raise ContainerNotFound(self.name) from None

    # -- logs --------------------------------------------------------------------------------

    def log_lines(
        self,
        tail: int | None = None,
        since: Any = None,
        until: Any = None,
        stream: str | None = None,
    ) -> list[Line]:
        """The container's log as :class:`Line` objects (stdout and stderr in order).

        ``tail``: only the last lines (all when None). ``since``/``until``: a ``datetime``,
        ``timedelta`` or duration string such as ``"10m"`` (that long ago), Unix seconds, an
        RFC 3339 time, or a :class:`Line` (then only lines after it). ``stream``: ``"stdout"``
        or ``"stderr"`` to keep one of them (``tail`` counts both).
        """
        Stream.parse(stream)  # (a ValueError before anything is read)
        docker_since = docker_time(since, "since")
        docker_until = docker_time(until, "until")
        raw = self._call(
            self.engine.read_logs,
            self.id,
            self.tty,
            tail=tail,
            since=docker_since,
            until=docker_until,
        )
        return keep_lines(raw, cursor_after(since), stream)

    def logs(
        self,
        tail: int | None = None,
        since: Any = None,
        until: Any = None,
        timestamps: bool = False,
        stream: str | None = None,
    ) -> str:
        """The container's log as text, like ``docker logs`` (arguments as in :meth:`log_lines`).

        ``timestamps=True`` starts each line with Docker's RFC 3339 nanosecond timestamp.
        """
        return join_lines(self.log_lines(tail, since, until, stream), timestamps)

    def follow(
        self,
        tail: int | None = 0,
        since: Any = None,
        *,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        stream: str | None = None,
    ) -> LogFollow:
        """Follow the log live: an iterator (and async iterator) of :class:`Line`.

        ``tail``: lines of history first (0: only new lines, None: all of it). ``since`` as in
        :meth:`log_lines` (a :class:`Line` resumes right after it). Iteration stops cleanly
        after ``timeout`` seconds, after ``idle_timeout`` seconds without a line, when the
        container stops or is removed, or when you ``break``; the Docker stream is then closed.

        >>> for line in c.follow(timeout=10):      # doctest: +SKIP
        ...     print(line.stream, line.text)
        """
        Stream.parse(stream)  # (a ValueError before anything is read)
        frame: dict[str, Any] = {"type": "connect", "server_id": self.id}
        frame["engine"] = self.engine_name
        after = cursor_after(since)
        if after is not None:
            frame["cursor"] = str(after)  # right after that line
        elif since is not None:
            # A start time asks for everything after it (with tail=0 too).
            frame["since"] = docker_time(since, "since")
            frame["tail"] = "all" if tail in (None, 0) else tail
        elif tail == 0:
            # "Only new lines": after the log's last line now, so that a line printed once
            # follow() returned is in it (a `send` right after gets its answer), however long
            # the session takes to start on a busy machine.
            last = self._call(self.engine.read_logs, self.id, self.tty, tail=1)
            if last:
                frame["cursor"] = str(last[-1].cursor)
            else:
                frame["since"] = f"{time.time():.9f}"
                frame["tail"] = "all"
        else:
            frame["tail"] = "all" if tail is None else tail
        return LogFollow(
            self,
            frame,
            timeout=timeout,
            idle_timeout=idle_timeout,
            only=stream,
        )

    def on(
        self,
        event: str,
        callback: Callable[[dict[str, Any]], Any],
        *,
        pattern: str | None = None,
        cooldown: float = 60,
        any_exit: bool = False,
    ) -> AlertSubscription:
        """Call ``callback(alert)`` when the container dies (``"died"``/``"die"``: with a
        non-zero exit code, or any with ``any_exit``), is OOM-killed (``"oom"``), turns
        unhealthy (``"unhealthy"``), or logs a line matching ``pattern`` (``"log"``); at most
        once a ``cooldown`` per kind. ``.cancel()`` the subscription to stop.

        >>> c.on("died", lambda a: print(a["message"], a["last_lines"]))   # doctest: +SKIP
        >>> c.on("log", print, pattern=r"panic:")                          # doctest: +SKIP
        """
        if event == "log":
            if not pattern:
                raise ValueError('on("log", …) needs pattern=: a regular expression.')
            spec = rule([], container=self, patterns=[pattern])
        else:
            spec = rule([event], container=self, patterns=[pattern] if pattern else None)
        spec["any_exit"] = any_exit
        return AlertSubscription(self.client, [spec], callback, cooldown)

    def search(
        self,
        query: str,
        *,
        regex: bool = False,
        case_sensitive: bool = False,
        since: Any = None,
        until: Any = None,
        stream: str | None = None,
        level: str | Iterable[str] | None = None,
        context: int = 0,
        limit: int = 1000,
    ) -> list[SearchMatch]:
        """Search the container's whole log on the Docker host (not only what a console
        holds): ``query`` is plain text unless ``regex``, case-insensitive unless
        ``case_sensitive``; ``since``/``until`` as in :meth:`log_lines`; ``stream``; ``level``
        (``"error"``, or several: levels as :mod:`~littlewings_jupyter.parsing.structured`
        reads them from JSON, logfmt or text lines); ``context`` lines before and after each
        match; at most ``limit`` matches, oldest first."""
        ref = self._call(self.engine.resolve, self.id)
        return search_history(
            self.engine,
            [(None, ref)],
            query,
            {
                "regex": regex,
                "case_sensitive": case_sensitive,
                "since": since,
                "until": until,
                "stream": stream,
                "level": level,
                "context": context,
                "limit": limit,
            },
        )

    # -- commands ----------------------------------------------------------------------------

    def exec(
        self,
        command: str | Sequence[str],
        *,
        timeout: float | None = None,
        workdir: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
        check: bool = False,
    ) -> ExecResult:
        """Run a command in the running container and wait for it; its :class:`ExecResult`.

        A string runs with ``/bin/sh -c``; a list runs as it is (no shell). After ``timeout``
        seconds the command is ended in the container (SIGINT, then SIGTERM, then SIGKILL) and
        the result comes back with ``timed_out=True`` and what was read so far. ``check=True``
        raises :class:`~littlewings_jupyter.errors.CommandFailed` unless it exited with 0.
        """
        self.client._check_write("running commands")
        if isinstance(command, str):
            if not command.strip():
                raise ValueError("The command is empty.")
            argv = ["/bin/sh", "-c", command]
        else:
            argv = [str(arg) for arg in command]
            if not argv:
                raise ValueError("The command is empty.")
        ref = self._call(self.engine.resolve, self.id)
        if ref.state != "running":
            raise Conflict(
                f"Cannot run a command in {self.name!r}: it is {ref.state}.", state=ref.state
            )
        options: dict[str, Any] = {}
        if workdir is not None:
            options["workdir"] = workdir
        if env is not None:
            options["environment"] = dict(env)
        if user is not None:
            options["user"] = user
        run = Exec(self.engine, self.id, argv, **options)
        out: dict[int, list[str]] = {STDOUT: [], STDERR: []}
        try:
            exit_code = run.run(lambda kind, text: out[kind].append(text), timeout)
        except Conflict as exc:  # it stopped in between
            raise Conflict(f"Cannot run a command in {self.name!r}: {exc.message}") from None
        except BaseException:  # an interrupted cell (KeyboardInterrupt) ends it too
            run.cancel()
            run.stop()
            raise
        if run.timed_out:
            run.cancel()
            run.stop()
        result = ExecResult(
            argv,
            exit_code,
            "".join(out[STDOUT]),
            "".join(out[STDERR]),
            duration=run.duration,
            timed_out=run.timed_out,
            container=self.name,
        )
        return result.check() if check else result

    def shell(
        self,
        command: str | Sequence[str] | None = None,
        *,
        user: str | None = None,
        rows: int = 24,
        cols: int = 80,
    ) -> Shell:
        """An interactive shell in the running container: bash if it has it, else sh.

        ``command`` runs another program (a string runs with ``/bin/sh -c``), as ``user``.
        Returns a :class:`Shell`: ``sh.sendline("ls"); sh.expect(r"\\$ ")``.
        """
        self.client._check_write("opening a shell")
        if not self.client.limits.shell_enabled:
            raise Forbidden("Shells are disabled for this client (limits.shell_enabled).")
        if isinstance(command, str):
            argv: list[str] | None = ["/bin/sh", "-c", command]
        else:
            argv = None if command is None else [str(arg) for arg in command]
        ref = self._call(self.engine.resolve, self.id)
        if ref.state != "running":
            raise Conflict(f"Cannot open a shell in {self.name!r}: it is {ref.state}.")
        process = ShellProcess(self.engine, self.id, argv, rows, cols, user)
        try:
            process.start()
        except (Conflict, DockerError) as exc:
            process.close()
            raise Conflict(f"Cannot start a shell in {self.name!r}: {exc.message}") from None
        return Shell(self, process)

    def send(self, text: str, newline: bool = True) -> None:
        """Type ``text`` on the container's stdin (it must run with stdin open, ``docker run -i``).

        A newline is added unless ``newline=False`` or the text ends with one. What the
        process answers appears in its log (:meth:`follow` or :meth:`logs`).
        """
        self.client._check_write("sending to stdin")
        if newline and not text.endswith("\n"):
            text += "\n"
        try:
            self._call(self.client.stdin_for(self.engine.name).send, self.id, text)
        except StdinNotOpen:
            raise StdinNotOpen(
                f"Container {self.name!r} was not started with stdin open (docker run -i, "
                "stdin_open=True); run a command with .exec() instead."
            ) from None

    # -- power -------------------------------------------------------------------------------

    def _power(self, action: str) -> Container:
        self.client._check_write(f"'{action}'")
        self._summary = self._call(self.engine.power, self.id, action)
        return self

    def start(self) -> Container:
        """Start the container (it must be created or exited)."""
        return self._power("start")

    def stop(self) -> Container:
        """Stop the container (SIGTERM, then SIGKILL after 10 s); returns once it stopped."""
        return self._power("stop")

    def restart(self) -> Container:
        """Restart the container (stop, then start)."""
        return self._power("restart")

    def kill(self) -> Container:
        """Kill the container (SIGKILL)."""
        return self._power("kill")

    def pause(self) -> Container:
        """Freeze every process of the running container."""
        return self._power("pause")

    def unpause(self) -> Container:
        """Thaw a paused container."""
        return self._power("unpause")

    @property
    def files(self) -> Files:
        """The files inside the container: ``list``, ``read``, ``write``…"""
        return Files(self)

    def remove(self, force: bool = False, volumes: bool = False) -> None:
        """Remove the container (``force``: even a running one, which is killed first;
        ``volumes``: its anonymous volumes too)."""
        self.client._check_manage("removing a container")
        self._call(self.engine.remove, self.id, force, volumes)

    def wait(self, timeout: float | None = None, interval: float = 0.25) -> int | None:
        """Wait until the container is no longer running; its exit code (None on timeout)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.status
            if state not in _RUNNING_STATES:
                code = self._summary.get("exit_code")
                return None if code is None else int(code)
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(interval if deadline is None else min(interval, deadline - time.monotonic()))

    # -- stats -------------------------------------------------------------------------------

    def stats(self, timeout: float = 10.0) -> dict[str, Any]:
        """CPU %, memory, network, block I/O and pids now, computed as ``docker stats`` does.

        CPU needs two samples from Docker, so this takes about a second or two for a running
        container; a container that does not run gives zeros at once.
        """
        engine = self.engine
        # Docker sends a single sample for a container that does not run (and may then keep the
        # stream open): do not wait for a second one.
        running = self.status == "running"
        docker_stream = self._call(engine.open_stats, self.id)
        timer = threading.Timer(timeout, docker_stream.close)
        timer.daemon = True
        timer.start()
        sample: dict[str, Any] = {}
        try:
            for doc in iter_json_documents(docker_stream):
                sample = doc
                # The first sample of a stream has no previous CPU reading to compare with.
                if not running or (doc.get("precpu_stats") or {}).get("system_cpu_usage"):
                    break
        finally:
            timer.cancel()
            timer.join()
            docker_stream.close()
        return compute_stats(sample)

    # -- logs and stats as data --------------------------------------------------------------

    def logs_frame(
        self,
        tail: int | None = None,
        since: Any = None,
        until: Any = None,
        stream: str | None = None,
        *,
        max_fields: int = 50,
    ) -> Any:
        """The log as a pandas DataFrame, one row a line (arguments as in :meth:`log_lines`).

        Columns: ``time`` (Docker's, UTC), ``stream``, ``container``, ``level`` (trace … fatal,
        ordered, guessed from JSON/logfmt keys or the text), ``message``, ``log_time`` (the
        line's own time, if it has one), then the fields of JSON and logfmt lines, nested ones
        with dotted names (the ``max_fields`` most common; ``frame.attrs["dropped_fields"]``
        names the rest). Needs pandas: ``pip install "littlewings-jupyter[frames]"``.
        """
        return logs_frame(self, tail, since, until, stream, max_fields)

    def stats_frame(self, duration: float = 10, interval: float = 1.0) -> Any:
        """The running container's stats sampled for ``duration`` seconds, as a pandas DataFrame.

        One row every ``interval`` seconds (Docker samples about once a second): ``time``,
        ``cpu_percent``, ``memory_usage``, ``memory_limit``, ``memory_percent``,
        ``network_rx_bytes``/``_tx_bytes``, ``block_read_bytes``/``_write_bytes``, ``pids``,
        computed as :meth:`stats` does. Blocks for ``duration`` seconds (less if the container
        stops). Needs pandas: ``pip install "littlewings-jupyter[frames]"``.
        """
        return stats_frame(self, duration, interval)

    # -- display -----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Container) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Container {self.name!r} {self._summary.get('state', '?')} {self.short_id}>"

    def _repr_html_(self) -> str:
        return containers_table([self._summary])


class ContainerList(list[Container]):
    """A list of :class:`Container` handles shown as a table (with state badges in notebooks)."""

    @property
    def names(self) -> list[str]:
        """The containers' names, in order."""
        return [c.name for c in self]

    def get(self, name: str) -> Container | None:
        """The container of this name (or id prefix) in the list, if any."""
        for c in self:
            if c.name == name or c.id.startswith(name):
                return c
        return None

    def __repr__(self) -> str:
        return containers_text([c._summary for c in self])

    def _repr_html_(self) -> str:
        return containers_table([c._summary for c in self])


__all__ = ["Container", "ContainerList"]

"""A Docker Swarm service's log stream over all its tasks (``docker service logs``), shared."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Callable

from ..docker.engine import DockerEngine
from ..errors import (
    ContainerNotFound,
    LittleWingsError,
    NotSwarmManager,
    ServiceNotFound,
)
from ..parsing.lines import SYSTEMERR, LineAssembler, LogLine
from ..parsing.times import DockerTime
from .base import StreamThread, log
from .logs import LoopHandoff

_TASK_KEY = "com.docker.swarm.task.id="


def split_task(line: LogLine) -> tuple[str, LogLine]:
    """A line of a service log (``--details``): its task id, and the line without the
    attributes Docker puts before the text."""
    attributes, _, text = line.text.partition(" ")
    start = attributes.find(_TASK_KEY)
    if start < 0:
        return "", line
    task = attributes[start + len(_TASK_KEY) :].split(",", 1)[0]
    return task, line._replace(text=text)


def task_lines(lines: list[LogLine]) -> list[tuple[str, LogLine]]:
    """Each line of a service log with its task id."""
    return [split_task(line) for line in lines]


# How far back a reopened service stream reads, at most, before its newest line.
RESUME_WINDOW_NS = 15 * 60 * 1_000_000_000


class ServiceLogFollower(StreamThread):
    """One followed service log stream; lines go to the loop as ``(task id, line)`` batches.

    The stream is opened again after an engine outage (on the Swarm's next manager when the
    engine has several), from each task's last line read: the tasks' lines come interleaved as
    their nodes send them, so one cursor for all would lose a slower task's lines.
    """

    name = "littlewings-service-logs"

    def __init__(
        self,
        engine: DockerEngine,
        service_id: str,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[list[tuple[str, LogLine]]], None],
        batch_interval: float,
        task_id: str | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.service_id = service_id
        self.task_id = task_id  # one task's log only (Docker serves it through a manager)
        self.handoff = LoopHandoff(loop, deliver, batch_interval)
        self.loop = loop
        self.ready: asyncio.Future[None] = loop.create_future()
        self.last: dict[str, LogLine] = {}  # task id -> its last line read
        # The first line read of all: a task with no line read yet when the stream is lost is
        # read again from there (the session leaves out what its history had sent).
        self.first: LogLine | None = None
        self.opened_at: float | None = None  # when the first stream was opened (time.time())

    def _set_ready(self) -> None:
        def resolve() -> None:
            if not self.ready.done():
                self.ready.set_result(None)

        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(resolve)

    def run(self) -> None:
        backoff = 0.5
        while not self.stopped:
            last = dict(self.last)
            since = None
            if not last and self.opened_at is not None:
                # Lost before a line was read: from a little before it was opened (this
                # machine's clock, which a remote manager's may differ from by a few seconds).
                since = f"{self.opened_at - 5:.9f}"
            if last:
                # From the task furthest behind, but not from further back than RESUME_WINDOW
                # before the newest line (a task that ended long ago would have every task's
                # lines since then read again, only to be left out).
                times = [line.cursor.time.ns for line in last.values()]
                oldest = min(times)
                if self.first is not None:
                    oldest = min(oldest, self.first.cursor.time.ns)
                since = DockerTime(max(oldest, max(times) - RESUME_WINDOW_NS)).docker
            try:
                stream = self.engine.swarm.open_service_logs(
                    self.service_id,
                    follow=True,
                    tail=0 if since is None else None,
                    since=since,
                    task_id=self.task_id,
                )
            except (ServiceNotFound, ContainerNotFound, NotSwarmManager) as exc:
                log.info("LittleWings: the service log of %s ended: %s", self.service_id, exc)
                self._set_ready()
                return
            except LittleWingsError:
                # The engine away, or a manager without a leader for now (a Swarm electing a
                # new one after losing its leader): again, from each task's last line.
                self.engine.fail_over()
                self._set_ready()
                self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not self._set_stream(stream):
                return
            if self.opened_at is None:
                self.opened_at = time.time()
            backoff = 0.5
            self._set_ready()
            assembler = LineAssembler(self.engine.max_line_bytes, False)
            for block in stream:
                items = task_lines(assembler.feed(block))
                if last:  # after a reopening: each task's lines after its last one read
                    items = [
                        (task, line)
                        for task, line in items
                        if task not in last or line.cursor > last[task].cursor
                    ]
                if items:
                    for task, line in items:
                        # (Docker's own words carry no time of their own: no place to resume.)
                        if line.stream != SYSTEMERR:
                            self.last[task] = line
                            if self.first is None:
                                self.first = line
                    self.handoff.push(items)
            self._set_stream(None)
            stream.close()
            if not self.stopped:
                self._sleep(1.0)  # the stream ended (the service was removed, or the engine)

    def reopen(self) -> None:
        """Read the service's stream anew (from each task's last line): a lost node is back,
        and the stream opened while it was away leaves its tasks out."""
        with self._stream_lock:
            stream = self._stream
        if stream is not None:
            stream.close()

    def stop(self) -> None:
        """Close the stream and end the thread."""
        super().stop()
        self.handoff.close()


__all__ = ["ServiceLogFollower", "split_task", "task_lines"]

"""Merged views: the containers of a Compose project, a label or a list, watched as one log.

A :class:`LogGroup` is shared by every session watching the same selector (as a log follower is
shared by every session watching one container). It subscribes to each member's follower like any
other subscriber (so five containers in a merged view and three consoles on one of them open five
Docker streams), puts the members' live lines in timestamp order (:class:`~.merge.Reorderer`) and
hands the runs to its sessions, encoded once. Members that appear while it runs are added (with
their first lines); members that go are marked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import re
import threading
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Callable

from ..docker.models import ContainerRef
from ..errors import ContainerNotFound, LittleWingsError
from ..parsing.lines import SYSTEMERR, Cursor, LogLine, line_text
from ..parsing.merge import merge_streams
from ..streams.service import ServiceLogFollower
from . import protocol
from .frames import LogBatch, MergedBatch
from .reorder import Reorderer

if TYPE_CHECKING:
    from ..docker.engine import DockerEngine
    from .interfaces import SessionManagerLike
    from .protocol import GroupSelector

log = logging.getLogger("littlewings")

_COMPOSE_SERVICE = "com.docker.compose.service"
_COMPOSE_NUMBER = "com.docker.compose.container-number"


def member_order(summary: dict[str, Any]) -> tuple[str, int, str]:
    """How members are listed: by Compose service and number, then name."""
    labels = summary.get("labels") or {}
    number = labels.get(_COMPOSE_NUMBER, "")
    return (
        labels.get(_COMPOSE_SERVICE, ""),
        int(number) if number.isdigit() else 0,
        summary.get("name", ""),
    )


def find_members(
    engine: DockerEngine, selector: GroupSelector
) -> list[tuple[ContainerRef, dict[str, Any]]]:
    """The containers of a group now, in member order (blocking: a worker thread's call)."""
    listed = engine.list_containers()
    found = []
    for summary in sorted((s for s in listed if selector.matches(s)), key=member_order):
        try:
            # A listed container does not say whether it has a TTY; reading its log needs it.
            found.append((engine.resolve(summary["id"]), summary))
        except ContainerNotFound:
            continue  # gone since it was listed
    return found


def member_history(
    engine: DockerEngine,
    ref: ContainerRef,
    tail: int | None,
    since: str | None,
    until: str | None = None,
    after: Cursor | None = None,
) -> Generator[list[LogLine], None, None]:
    """One member's history in batches, after ``after``; a member removed meanwhile just ends."""
    try:
        for batch in engine.iter_logs(ref.id, ref.tty, tail=tail, since=since, until=until):
            if after is not None:
                batch = [line for line in batch if line.cursor > after]
            if batch:
                yield batch
    except LittleWingsError as exc:
        log.debug("LittleWings: history of %s ended: %s", ref.name, exc.message)


def container_history(
    engine: DockerEngine,
    members: list[tuple[Any, ContainerRef]],
    tail: int | None,
    since: str | None,
    until: str | None = None,
    resume: dict[str, Cursor] | None = None,
) -> Generator[list[tuple[Any, list[LogLine]]], None, None]:
    """The members' histories merged by timestamp, as lists of runs keyed by each member's
    ``key`` (blocking: read in a worker thread).

    ``tail`` counts per member. ``resume`` (member name → cursor): a member with a cursor
    resumes right after it; one without gets its lines since the oldest cursor given.
    """
    oldest = min(resume.values()) if resume else None
    sources = []
    for key, ref in members:
        after = resume.get(ref.name) if resume else None
        member_tail, member_since = tail, since
        if after is not None:
            member_tail, member_since = None, after.docker_since()
        elif resume:
            member_tail, member_since = None, oldest.docker_since() if oldest else None
        if member_tail != 0 or member_since is not None:
            history = member_history(engine, ref, member_tail, member_since, until, after)
            sources.append((key, history))
    merged = merge_streams(sources)
    try:
        yield from merged
    finally:
        merged.close()
        for _, source in sources:
            source.close()


def compose_text(
    runs: list[tuple[Any, list[LogLine]]], width: int, timestamps: bool, only: int | None = None
) -> str:
    """Merged runs as ``docker compose logs`` prints them: ``name  | line`` (``only``: one
    stream)."""
    out = []
    for member, lines in runs:
        head = f"{member.name:<{width}} | "
        for line in lines:
            if only is None or line.stream == only:
                out.append(("" if line.continued else head) + line_text(line, timestamps))
    return "".join(out)


class Member:
    """One container of a group, as the group's subscriber to the container's follower."""

    def __init__(self, group: LogGroup, ref: ContainerRef, summary: dict[str, Any]) -> None:
        self.group = group
        self.ref = ref
        self.summary = summary
        self.removed = False
        # While a member that appeared live has its first lines fetched, its follower's lines
        # wait here (then go after them, so the member's lines stay in order).
        self.held: list[LogLine] | None = None
        self.watermark: Cursor | None = None

    @property
    def id(self) -> str:
        """The container's id."""
        return self.ref.id

    @property
    def name(self) -> str:
        """The container's name: what ``log`` frames and cursors call it."""
        return self.ref.name

    def describe(self) -> dict[str, Any]:
        """The member's summary, as ``connected.members`` lists it."""
        return {**self.summary, "state": self.ref.state or self.summary.get("state", "")}

    # -- what the manager calls on the subscribers of a container ------------------------------

    def deliver_logs(self, batch: LogBatch) -> None:
        """Live lines of this member from its follower."""
        lines = batch.lines
        if self.watermark is not None:
            if lines[-1].cursor <= self.watermark:
                return
            lines = [line for line in lines if line.cursor > self.watermark]
            self.watermark = None
        if self.held is not None:
            self.held.extend(lines)
            return
        self.group.reorder.add(self, lines)

    def container_status(self, frame: dict[str, Any]) -> None:
        """A Docker state change of this member."""
        if frame.get("state"):
            self.ref.state = self.summary["state"] = frame["state"]
        self.group.broadcast({**frame, "name": self.name})

    def container_removed(self, frame: dict[str, Any]) -> None:
        """The member is gone from Docker."""
        self.group.member_gone(self, frame)

    def send(self, frame: dict[str, Any]) -> None:
        """A notice about this member's log (``throttled``)."""
        self.group.broadcast({**frame, "name": self.name})


class LogGroup:
    """The merged log of one selector, shared by the sessions that watch it."""

    def __init__(
        self, manager: SessionManagerLike, selector: GroupSelector, engine: str = ""
    ) -> None:
        self.manager = manager
        self.selector = selector
        self.engine = engine  # the engine's name (its members are all on it)
        self.slot = manager.slot(engine)
        self.members: dict[str, Member] = {}
        self.sessions: set[Any] = set()
        self.reorder: Reorderer[Any] = Reorderer(
            manager.loop, manager.limits.merge_window, self._emit
        )
        self.ready: asyncio.Future[None] = manager.loop.create_future()
        self.error: LittleWingsError | None = None
        self.closed = False

    # -- members -----------------------------------------------------------------------------

    async def start(self, follow: bool = True) -> None:
        """Find the members and follow them (once, by the first session); ``follow=False``
        only finds them (a view of the history alone)."""
        manager = self.manager
        try:
            found = await manager.run(find_members, self.slot.engine, self.selector)
            for ref, summary in found:
                if ref.id in self.members:
                    continue  # its start event came while we listed: it joined already
                member = self.members[ref.id] = Member(self, ref, summary)
                if follow and not self.closed:
                    manager.subscribe_logs(ref, member)
            followers = [self.slot.logs.followers.get(m.id) for m in self.members.values()]
            waits = [asyncio.shield(f.ready) for f in followers if f is not None]
            if follow and waits:
                await asyncio.wait(waits, timeout=30)
        except LittleWingsError as exc:
            self.error = exc
        finally:
            if not self.ready.done():
                self.ready.set_result(None)

    def history(
        self,
        members: list[Member],
        tail: int | None,
        since: str | None,
        resume: dict[str, Cursor] | None,
        until: str | None = None,
    ) -> Generator[list[tuple[Any, list[LogLine]]], None, None]:
        """The merged history of these members (a snapshot of :attr:`members`), run by run."""
        pairs = [(member, member.ref) for member in members]
        return container_history(self.slot.engine, pairs, tail, since, until, resume)

    def ordered_members(self) -> list[Member]:
        """The members, in the order they are listed."""
        return sorted(self.members.values(), key=lambda m: member_order(m.summary))

    async def member_appeared(self, summary: dict[str, Any]) -> None:
        """A container that matches was created or started while the group runs."""
        if self.closed or summary["id"] in self.members:
            return
        manager = self.manager
        try:
            ref = await manager.run(self.slot.engine.resolve, summary["id"])
        except LittleWingsError:
            return  # gone again
        if self.closed or ref.id in self.members:
            return
        member = self.members[ref.id] = Member(self, ref, summary)
        member.held = []
        manager.subscribe_logs(ref, member)
        self.broadcast(protocol.reply("member_added", container=summary))
        follower = self.slot.logs.followers.get(member.id)
        if follower is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(follower.ready), 30)
        # Its lines from its very first one: the follower began at the moment it subscribed.
        try:
            engine = self.slot.engine
            lines = await manager.run(lambda: engine.read_logs(member.id, member.ref.tty))
        except LittleWingsError as exc:
            log.debug("LittleWings: no history of new member %s: %s", member.name, exc.message)
            lines = []
        held, member.held = member.held or [], None
        if lines:
            last = lines[-1].cursor
            held = [line for line in held if line.cursor > last]
            member.watermark = last if not held else None
        self.reorder.add(member, lines + held)

    def member_gone(self, member: Member, frame: dict[str, Any]) -> None:
        """A member was removed from Docker: its held lines go out, then the notice."""
        if member.removed:
            return
        member.removed = True
        self.reorder.flush()
        self.members.pop(member.id, None)
        self.manager.unsubscribe_logs(member.ref, member)
        self.broadcast({**frame, "name": member.name})

    # -- sessions ----------------------------------------------------------------------------

    def _emit(self, runs: list[tuple[Any, list[LogLine]]]) -> None:
        if not runs:
            return
        batch = MergedBatch(runs)
        for session in list(self.sessions):
            session.deliver_merged(batch)

    def broadcast(self, frame: dict[str, Any]) -> None:
        """A frame for every session of the group."""
        text = protocol.encode(frame)
        for session in list(self.sessions):
            session.send_text(text)

    def close(self) -> None:
        """The last session left: let go of every member's follower."""
        self.closed = True
        self.reorder.close()
        for member in list(self.members.values()):
            self.manager.unsubscribe_logs(member.ref, member)
        self.members.clear()


class TaskMember:
    """One task of a Swarm service in a service's merged view (its lines: ``web.1``)."""

    def __init__(self, group: ServiceGroup, task: dict[str, Any]) -> None:
        self.group = group
        self.task = task
        self.summary = {**task, "labels": {}}

    @property
    def id(self) -> str:
        """The task's id."""
        return str(self.task["id"])

    @property
    def name(self) -> str:
        """``<service>.<slot>`` (``<service>.<node>`` for a global service)."""
        return str(self.task["name"])

    def describe(self) -> dict[str, Any]:
        """The task, as ``connected.members`` lists it."""
        return {**self.task, "engine": self.group.engine}


class ServiceGroup(LogGroup):
    """The merged view of a Swarm service: Docker's service log stream (every node's tasks),
    split by task, shared by the sessions watching it."""

    def __init__(
        self, manager: SessionManagerLike, selector: GroupSelector, engine: str = ""
    ) -> None:
        super().__init__(manager, selector, engine)
        self.tasks: dict[str, TaskMember] = {}
        self.service: dict[str, Any] = {}
        self.task_id: str | None = None  # a view of one task (selector kind "task")
        self.follower: ServiceLogFollower | None = None
        self._unknown: list[tuple[str, LogLine]] = []
        self._refreshing = False
        self._hostnames: dict[str, str] = {}  # node id -> hostname, as last listed

    async def start(self, follow: bool = True) -> None:
        """Find the service and its tasks, and follow its log (``follow=False``: only find)."""
        manager = self.manager
        engine = self.slot.engine
        try:
            if self.selector.kind == "task":
                # One task, on whatever node it runs: its log through the manager.
                task = await manager.run(engine.swarm.find_task, self.selector.name)
                self.task_id = task["id"]
                self.service = await manager.run(engine.swarm.resolve_service, task["service_id"])
                self.tasks[task["id"]] = TaskMember(self, task)
            else:
                self.service = await manager.run(engine.swarm.resolve_service, self.selector.name)
                for task in await manager.run(engine.swarm.service_tasks, self.service["id"]):
                    self.tasks[task["id"]] = TaskMember(self, task)
            if follow and not self.closed:
                self.follower = ServiceLogFollower(
                    engine,
                    self.service["id"],
                    manager.loop,
                    self._deliver,
                    manager.limits.batch_interval,
                    task_id=self.task_id,
                )
                self.follower.start()
                manager.spawn(self._watch_nodes())
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.follower.ready), 30)
        except LittleWingsError as exc:
            self.error = exc
        finally:
            if not self.ready.done():
                self.ready.set_result(None)

    async def _watch_nodes(self) -> None:
        """While the view is open: the cluster's changes that its log does not say, as
        ``marker`` frames: a node of a task going down or coming back, a task of a slot
        running again on another node. (Docker's service log goes quiet for a task whose node
        is lost: nothing in it says so.)"""
        engine = self.slot.engine
        states: dict[str, str] = {}
        placed: dict[Any, tuple[str, str]] = {}  # slot (or node) → (task id, node id)
        while not self.closed:
            try:
                nodes = await self.manager.run(engine.swarm.list_nodes)
                tasks = await self.manager.run(engine.swarm.service_tasks, self.service["id"])
            except LittleWingsError:
                nodes, tasks = [], []
            hostnames = {n["id"]: n["hostname"] for n in nodes}
            self._hostnames.update(hostnames)
            for node in nodes:
                before, now = states.get(node["id"]), node["state"]
                if now == "unknown":
                    # A new leader that has not heard from the node yet (every node reads
                    # "unknown" for a moment after the leader is lost): no news of the node.
                    continue
                states[node["id"]] = now
                if before is not None and before != now:
                    self._node_changed(node, before)
            for task in tasks:
                if task["state"] != "running" or (
                    self.task_id is not None and task["id"] != self.task_id
                ):
                    continue
                key = task["slot"] or task["node"]
                before_task = placed.get(key)
                placed[key] = (task["id"], task["node"])
                if before_task and before_task[0] != task["id"] and before_task[1] != task["node"]:
                    self.broadcast(
                        protocol.reply(
                            "marker",
                            event="task_moved",
                            task=task["name"],
                            node=hostnames.get(task["node"], task["node"][:12]),
                            message=f"{task['name']} moved from "
                            f"{hostnames.get(before_task[1], before_task[1][:12])} to "
                            f"{hostnames.get(task['node'], task['node'][:12])}",
                        )
                    )
            await asyncio.sleep(NODE_WATCH_INTERVAL)

    def _node_changed(self, node: dict[str, Any], before: str) -> None:
        """A node's state changed: say so if a task of the view runs there."""
        names = sorted(m.name for m in self.tasks.values() if m.task.get("node") == node["id"])
        if not names:
            return
        hostname = node["hostname"] or node["id"][:12]
        at = time.strftime("%H:%M:%S")
        if node["state"] == "ready":
            text = f"{hostname} is back ({before} before): {', '.join(names)} can be read again"
            kind = "node_up"
            if self.follower is not None:
                # Docker's stream left the node out when it was lost: a new one takes it in,
                # each task's lines after its last one read.
                self.follower.reopen()
        else:
            text = f"{hostname} is {node['state']}: {', '.join(names)} unreachable since {at}"
            kind = "node_down"
        self.broadcast(
            protocol.reply(
                "marker", event=kind, node=hostname, tasks=names, state=node["state"], message=text
            )
        )

    def ordered_members(self) -> list[Any]:
        """The tasks, by slot (or node)."""
        return sorted(self.tasks.values(), key=lambda t: (t.task.get("slot") or 0, t.name))

    def engine_notice(self, text: str) -> None:
        """Docker's own words in the service's log stream (a node it could not read, the
        manager's stream cancelled): a ``marker`` for the view, never a line of a task."""
        self.broadcast(engine_marker(text, self._hostnames))

    def _deliver(self, items: list[tuple[str, LogLine]]) -> None:
        by_task: dict[str, list[LogLine]] = {}
        for task_id, line in items:
            if line.stream == SYSTEMERR:
                self.engine_notice(line.text)
            elif task_id in self.tasks:
                by_task.setdefault(task_id, []).append(line)
            else:
                self._unknown.append((task_id, line))
        for task_id, lines in by_task.items():
            self.reorder.add(self.tasks[task_id], lines)
        if self._unknown and not self._refreshing:
            self._refreshing = True
            self.manager.loop.create_task(self._refresh_tasks())

    async def _refresh_tasks(self) -> None:
        """Lines of a task not seen yet (the service scaled or updated): look it up, tell the
        sessions, then hand its lines on."""
        try:
            tasks = await self.manager.run(self.slot.engine.swarm.service_tasks, self.service["id"])
        except LittleWingsError:
            tasks = []
        finally:
            self._refreshing = False
        for task in tasks:
            if task["id"] not in self.tasks:
                self.tasks[task["id"]] = member = TaskMember(self, task)
                self.broadcast(protocol.reply("member_added", container=member.describe()))
        held, self._unknown = self._unknown, []
        for task_id, line in held:
            found = self.tasks.get(task_id)
            if found is None:  # gone from the task list already: named by its id
                found = self.tasks[task_id] = TaskMember(
                    self, unlisted_task(self.selector.name, task_id)
                )
                self.broadcast(protocol.reply("member_added", container=found.describe()))
            self.reorder.add(found, [line])

    def history(
        self,
        members: list[Any],
        tail: int | None,
        since: str | None,
        resume: dict[str, Cursor] | None,
        until: str | None = None,
    ) -> Generator[list[tuple[Any, list[LogLine]]], None, None]:
        """The service's history over its tasks (``tail`` per task), merged by timestamp
        (Docker's service log has no ``until``: it is not applied)."""
        return service_history(
            self.slot.engine,
            self.service["id"],
            {m.id: m for m in members},
            tail,
            since,
            resume,
            lambda task_id: TaskMember(self, unlisted_task(self.service["name"], task_id)),
            task_id=self.task_id,
            notice=self._notice_threadsafe,
        )

    def _notice_threadsafe(self, text: str) -> None:
        """:meth:`engine_notice` from a worker thread (a history read)."""
        self.manager.loop.call_soon_threadsafe(self.engine_notice, text)

    def close(self) -> None:
        """The last session left: stop the service's stream."""
        self.closed = True
        self.reorder.close()
        if self.follower is not None:
            self.follower.stop()


def engine_marker(text: str, hostnames: dict[str, str]) -> dict[str, Any]:
    """The ``marker`` frame of Docker's own words in a service's log stream (``hostnames``:
    node id → hostname, to name the nodes it speaks of)."""
    said = text.strip()
    # "Error grabbing logs: rpc error: code = Unknown desc = warning: incomplete log stream.
    # some logs could not be retrieved for the following reasons: node 7x… is not available"
    reason = said.partition(" desc = ")[2] or said.partition("Error grabbing logs: ")[2] or said
    if "incomplete log stream" not in said:
        message = f"Docker, reading the service's log: {reason}"
        return protocol.reply("marker", event="engine_error", message=message)
    missing = reason.partition("following reasons: ")[2] or reason
    missing = re.sub(
        r"\bnode (\w+)", lambda m: f"node {hostnames.get(m.group(1), m.group(1)[:12])}", missing
    )
    message = f"Docker could not read every task's log: {missing}"
    return protocol.reply("marker", event="incomplete", message=message)


# How often an open service view asks the manager for its nodes and tasks (node_watch).
NODE_WATCH_INTERVAL = 3.0


def unlisted_task(service: str, task_id: str) -> dict[str, Any]:
    """A task a line names that the service's task list does not have (it ended long ago, or
    came since): named by the service and its id, ``web.3f2a9c1d0b7e``."""
    return {"id": task_id, "name": f"{service}.{task_id[:12]}"}


def task_ref(task: dict[str, Any]) -> ContainerRef:
    """A task as a member of a download or a kernel's read: its id, and its name ``web.1``."""
    return ContainerRef(str(task["id"]), str(task["name"]), False, False, "")


def service_task_refs(
    engine: DockerEngine, service: str
) -> tuple[dict[str, Any], dict[str, ContainerRef]]:
    """A service (by name or id) and its tasks now, as members by task id (blocking)."""
    found = engine.swarm.resolve_service(service)
    return found, {t["id"]: task_ref(t) for t in engine.swarm.service_tasks(found["id"])}


def service_history(
    engine: DockerEngine,
    service_id: str,
    members: dict[str, Any],
    tail: int | None,
    since: str | None,
    resume: dict[str, Cursor] | None,
    stranger: Callable[[str], Any],
    task_id: str | None = None,
    notice: Callable[[str], None] | None = None,
) -> Generator[list[tuple[Any, list[LogLine]]], None, None]:
    """A service's history, each task's read from the manager on its own (``docker service
    logs TASK``) and the tasks merged by timestamp as they are read: memory stays at about a
    batch a task, however long the history (the service's log stream interleaves its tasks as
    they answer, so it would have to be read whole before the first line could go out).

    ``members``: task id → member, the tasks to read (``task_id``: that one only; a task not
    among them gets ``stranger(task id)``). ``resume``: as for :func:`container_history`, by
    task name. ``notice``: told Docker's own words in the stream (a node it could not read),
    which are no task's lines (without it they are logged).
    """
    if resume:
        since = min(resume.values()).docker_since()
        tail = None
    sources: list[tuple[Any, Prefetch]] = []
    try:
        for tid in [task_id] if task_id else list(members):
            member = members.get(tid) or stranger(tid)
            after = resume.get(member.name) if resume else None
            # Each task's stream read ahead on a thread of its own: the manager sends every
            # task's log at once, and read one after the other they would wait on each other.
            batches = _task_history(engine, service_id, tid, tail, since, after, notice)
            sources.append((member, Prefetch(batches)))
        yield from merge_streams(sources)
    finally:
        for _, source in sources:
            source.close()


class Prefetch:
    """An iterator of batches read ahead on a thread of its own, ``depth`` batches at most
    (blocking reads, such as a Docker stream's, overlap with the consumer's work)."""

    _END = object()
    most = 4096  # lines a batch handed on at most, when batches read ahead are joined

    def __init__(self, batches: Generator[list[LogLine], None, None], depth: int = 64) -> None:
        self._batches = batches
        self._pending: Any = None  # the end (or an error) seen while joining batches
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="littlewings-prefetch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for batch in self._batches:
                while not self._stopped.is_set():
                    try:
                        self._queue.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stopped.is_set():
                    return
            self._put_end(self._END)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put_end(exc)
        finally:
            self._batches.close()

    def _put_end(self, item: Any) -> None:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Prefetch:
        return self

    def __next__(self) -> list[LogLine]:
        """The next batch: every batch read ahead by now, joined (up to :attr:`most` lines),
        so that a consumer slower than the stream takes its lines in few large steps."""
        item = self._pending if self._pending is not None else self._queue.get()
        self._pending = None
        if item is self._END:
            self._pending = item  # (a second next() ends too)
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        batch: list[LogLine] = item
        joined = False
        while len(batch) < self.most:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is self._END or isinstance(more, BaseException):
                self._pending = more
                break
            if not joined:
                batch, joined = list(batch), True
            batch.extend(more)
        return batch

    def close(self) -> None:
        """Stop reading ahead (the stream behind is closed by the thread)."""
        self._stopped.set()


def _task_history(
    engine: DockerEngine,
    service_id: str,
    task_id: str,
    tail: int | None,
    since: str | None,
    after: Cursor | None,
    notice: Callable[[str], None] | None,
) -> Generator[list[LogLine], None, None]:
    """One task's history in batches (its lines after ``after``; asked without the task's
    attributes, which a read of one task does not need)."""
    batches = engine.swarm.iter_service_logs(
        service_id, tail=tail, since=since, task_id=task_id, details=False
    )
    try:
        for batch in batches:
            lines = []
            for line in batch:
                if line.stream == SYSTEMERR:
                    if notice is not None:
                        notice(line.text)
                    else:
                        log.warning("LittleWings: the log of task %s: %s", task_id, line.text)
                elif after is None or line.cursor > after:
                    lines.append(line)
            if lines:
                yield lines
    finally:
        batches.close()

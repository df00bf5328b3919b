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
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from ..docker.lines import Cursor, LogLine, line_text
from ..docker.models import ContainerRef
from ..errors import ContainerNotFound, LittleWingsError
from . import protocol
from .frames import LogBatch, MergedBatch
from .merge import Reorderer, merge_streams

if TYPE_CHECKING:
    from ..docker.engine import DockerEngine
    from .manager import SessionManager
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

    def __init__(self, manager: SessionManager, selector: GroupSelector, engine: str = "") -> None:
        self.manager = manager
        self.selector = selector
        self.engine = engine  # the engine's name (its members are all on it)
        self.slot = manager.slot(engine)
        self.members: dict[str, Member] = {}
        self.sessions: set[Any] = set()
        self.reorder: Reorderer[Member] = Reorderer(
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
    ) -> Generator[list[tuple[Any, list[LogLine]]], None, None]:
        """The merged history of these members (a snapshot of :attr:`members`), run by run."""
        pairs = [(member, member.ref) for member in members]
        return container_history(self.slot.engine, pairs, tail, since, None, resume)

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

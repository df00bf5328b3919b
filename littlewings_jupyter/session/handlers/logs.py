"""Watching logs: ``connect`` (one container, or a merged group) with its history and live lines,
``disconnect``, and ``context`` (the lines around one line)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from ...docker.models import ContainerRef
from ...errors import InvalidMessage, LittleWingsError
from ...parsing.lines import Cursor, LogLine, Stream
from ...parsing.times import DockerTime
from .. import protocol
from ..pump import pump

if TYPE_CHECKING:
    from ..groups import Member
    from ..interfaces import Handler
    from ..session import ClientSession


async def on_connect(session: ClientSession, message: protocol.Connect) -> None:
    await session.authorize("read")
    if session.container is not None:
        previous = session.container
        session.leave()
        session.send(protocol.reply("disconnected", server_id=previous.name, container=previous.id))
    elif session.group is not None:
        group = session.group.selector.describe()
        session.leave()
        session.send(protocol.reply("disconnected", group=group))
    generation = session.next_generation()
    if message.group is not None:
        await _connect_group(session, message, generation)
        return
    manager = session.manager
    ref = await manager.resolve(message.engine, message.server_id)
    if not session.is_current(generation):
        return  # another connect (or a close) came while we looked the container up
    session.watch_container(ref, message.timestamps)
    follower = manager.subscribe_logs(ref, session) if message.follow else None
    detail = await manager.run(manager.engine_for(ref).describe, ref.id)
    await manager.events_ready(ref.engine)  # "connected" promises its status events
    if not session.is_current(generation):
        return
    stdin = ref.open_stdin and session.limits.stdin_enabled
    session.send(
        protocol.reply(
            "connected",
            message.id,
            protocol=protocol.PROTOCOL_VERSION,
            server_id=message.server_id,
            engine=ref.engine,
            container=detail,
            command_via="stdin" if stdin else "exec",
            status="success",
            message="Server connected",
        )
    )
    if message.stats:
        session.stats = True
        manager.subscribe_stats(ref, session)
    if follower is not None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(follower.ready), 30)
    await _send_history(session, message, ref, generation)
    if follower is not None and not follower.streaming and session.is_current(generation):
        # Its stream had ended before this session came (the container does not run): a
        # reader that ends with the stream ends now.
        session.log_stream_ended()


async def _send_history(
    session: ClientSession, message: protocol.Connect, ref: ContainerRef, generation: int
) -> None:
    cursor = message.cursor
    since: str | None
    if cursor is not None:
        tail, since = None, cursor.docker_since()
    else:
        tail = message.tail
        since = None if message.since is None else f"{message.since:.9f}"
    count = 0
    last_cursor = cursor

    async def deliver(lines: list[LogLine]) -> bool:
        nonlocal count, last_cursor
        if not session.is_current(generation):
            return False
        if cursor is not None:
            lines = [line for line in lines if line.cursor > cursor]
        if lines:
            session.send_history_lines(lines)
            count += sum(1 for line in lines if not line.partial)
            last_cursor = lines[-1].cursor
        return await session.wait_for_room()

    if tail != 0 or cursor is not None:
        engine = session.manager.engine_for(ref)
        batches = engine.iter_logs(ref.id, ref.tty, tail=tail, since=since)
        if not await pump(session.manager.run, batches, deliver):
            return
    if session.is_current(generation):
        session.end_history(count, last_cursor)


async def _connect_group(
    session: ClientSession, message: protocol.Connect, generation: int
) -> None:
    assert message.group is not None
    session.watch_group(message.timestamps, message.cursors or {})
    group = session.group = session.manager.join_group(
        message.group, session, message.follow, message.engine
    )
    await session.manager.group_ready(group)
    if not session.is_current(generation):
        return
    members = group.ordered_members()
    extra: dict[str, Any] = {}
    if message.group.kind == "task" and members:
        session.task_container = await _task_container(session, members[0].describe())
        if not session.is_current(generation):
            return
        node_engine = session.task_container.engine if session.task_container else None
        extra["node_engine"] = node_engine
    session.send(
        protocol.reply(
            "connected",
            message.id,
            protocol=protocol.PROTOCOL_VERSION,
            group=message.group.describe(),
            engine=group.engine,
            members=[m.describe() for m in members],
            status="success",
            message="Group connected",
            **extra,
        )
    )
    resume = message.cursors
    last: dict[str, Cursor] = {}
    if resume:
        last = {m.name: resume[m.name] for m in members if m.name in resume}
    since = None if message.since is None else f"{message.since:.9f}"
    count = 0

    async def deliver(runs: list[tuple[Member, list[LogLine]]]) -> bool:
        nonlocal count
        if not session.is_current(generation):
            return False
        session.send_history_runs(runs)
        for member, lines in runs:
            count += sum(1 for line in lines if not line.partial)
            last[member.name] = lines[-1].cursor
        return await session.wait_for_room()

    merged = group.history(members, message.tail, since, resume)
    if await pump(session.manager.run, merged, deliver) and session.is_current(generation):
        session.end_group_history(count, last, members)


async def _task_container(session: ClientSession, task: dict[str, Any]) -> ContainerRef | None:
    """A task's container on its node's own engine, when one of the engines is that node."""
    node, container_id = task.get("node"), task.get("container_id")
    if not node or not container_id:
        return None
    manager = session.manager
    engine = await manager.engine_of_node(node)
    if engine is None:
        return None
    try:
        return await manager.resolve(engine, container_id)
    except LittleWingsError:
        return None


async def on_disconnect(session: ClientSession, message: protocol.Message) -> None:
    if session.group is not None:
        group = session.group.selector.describe()
        session.leave()
        session.send(protocol.reply("disconnected", message.id, group=group))
        return
    container = session.require_container()
    session.leave()
    session.send(
        protocol.reply("disconnected", message.id, server_id=container.name, container=container.id)
    )


async def on_context(session: ClientSession, message: protocol.Context) -> None:
    await session.authorize("read")
    ref: Any
    if session.group is not None:
        member = next(
            (m for m in session.group.members.values() if m.name == message.container), None
        )
        ref = getattr(member, "ref", None)
        if ref is None:
            raise InvalidMessage(
                f"'container' must name a container of this group, not {message.container!r}."
            )
    else:
        ref = session.require_container()
    assert message.cursor is not None
    manager = session.manager
    lines, index = await manager.run(
        lines_around,
        manager.engine_for(ref),
        ref,
        message.cursor,
        message.before,
        message.after,
    )
    session.send(
        protocol.reply(
            "context",
            message.id,
            cursor=str(message.cursor),
            index=index,
            lines=[
                {
                    "cursor": str(line.cursor),
                    "stream": Stream.label_of(line.stream),
                    "line": line.text,
                }
                for line in lines
            ],
        )
    )


def lines_around(
    engine: Any, ref: ContainerRef, cursor: Cursor, before: int, after: int
) -> tuple[list[LogLine], int]:
    """The ``before`` lines up to a line (it included) and the ``after`` lines after it, of one
    container; and where the line is in them (-1 when it is not in the log any more)."""
    at = cursor.time
    # One microsecond later, so that `until` takes the line itself in; with whole-second
    # stamps (Podman), the line was written somewhen in its second: up to the second's end
    # (the lines after it are left out by their cursors).
    until = at.plus(1_000_000_000 if engine.whole_second_logs else 1000).docker
    # Docker applies `tail` before `until` (the last lines of the whole log): the lines before
    # a time are read from a window before it, widened until it holds enough of them.
    head: list[LogLine] = []
    for window in (1, 10, 60, 600, 3600, None):
        since = None if window is None else DockerTime(max(at.ns - window * 1_000_000_000, 0))
        lines = engine.read_logs(
            ref.id, ref.tty, since=None if since is None else since.docker, until=until
        )
        if since is not None and since.ns:
            lines = _without_first_of_each_stream(lines)
        head = [line for line in lines if line.cursor <= cursor]
        if len(head) > before or (since is not None and since.ns == 0):
            break
    head = head[-(before + 1) :]
    index = next((i for i, line in enumerate(head) if line.cursor == cursor), -1)
    rest: list[LogLine] = []
    if after:
        batches = engine.iter_logs(ref.id, ref.tty, since=at.docker)
        try:
            for batch in batches:
                rest.extend(line for line in batch if line.cursor > cursor)
                if len(rest) >= after:
                    break
        finally:
            batches.close()
    return head + rest[:after], index


def _without_first_of_each_stream(lines: list[LogLine]) -> list[LogLine]:
    """A window's lines without the first of each stream: that one may be the end of a line
    begun before the window (the engine leaves out the pieces before ``since``), which a wider
    window shows whole."""
    seen: set[int] = set()
    kept = []
    for line in lines:
        if line.stream in seen:
            kept.append(line)
        else:
            seen.add(line.stream)
    return kept


HANDLERS: dict[str, Handler] = {
    "connect": on_connect,
    "disconnect": on_disconnect,
    "context": on_context,
}

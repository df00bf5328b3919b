"""Merged logs from notebook cells: a Compose project, a label, or chosen containers as one log.

``lw.project("shop").logs()`` reads the members' histories merged by Docker's timestamp (the
same functions as the server's download); ``.follow()`` runs the server's session core in the
kernel (:mod:`littlewings_jupyter.kernel.runtime`) exactly as a merged WebSocket view does:
members that appear are picked up, live lines are put in timestamp order.
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Iterator
from typing import Any

from ..errors import from_wire
from ..parsing.lines import Cursor, LogLine, Stream
from ..session.groups import (
    compose_text,
    container_history,
    find_members,
    service_history,
    service_task_refs,
    task_ref,
    unlisted_task,
)
from ..session.protocol import GroupSelector, parse_group
from .container import Container, ContainerList
from .display import containers_table
from .follow import LineBuffer, LogFollow, open_follow_session
from .interfaces import ClientLike
from .lines import Line, cursor_after, docker_time
from .search import SearchMatch, search_history


def selector_of(
    project: str | None = None,
    label: str | None = None,
    containers: list[str] | None = None,
    service: str | None = None,
    pod: str | None = None,
) -> GroupSelector:
    """The group named by exactly one of ``project``, ``pod``, ``label``, ``containers``,
    ``service``."""
    query: dict[str, Any] = {}
    if service is not None:
        query["service"] = service
    if project is not None:
        query["project"] = project
    if pod is not None:
        query["pod"] = pod
    if label is not None:
        query["label"] = label
    if containers is not None:
        query["server_ids"] = [getattr(c, "name", c) for c in containers]
    selector = parse_group(query)
    if selector is None:
        raise ValueError("Name a group: project='shop', label='team=data' or containers=[...].")
    return selector


class Group:
    """Several containers' logs as one: a Compose project, a label, or a list of containers.

    Made by :func:`littlewings_jupyter.project` (or :func:`~littlewings_jupyter.group`). The
    members are looked up on each call, so containers that appear later belong to the group.
    """

    def __init__(
        self, client: ClientLike, selector: GroupSelector, engine: str | None = None
    ) -> None:
        self.client = client
        self.selector = selector
        self.engine = client.engine_named(engine)  # its members are all on one engine

    @property
    def name(self) -> str:
        """The project, the label rule, or the containers' names joined by commas."""
        return self.selector.name

    @property
    def kind(self) -> str:
        """``project``, ``pod``, ``label``, ``containers`` or ``service``."""
        return self.selector.kind

    @property
    def tasks(self) -> list[dict[str, Any]]:
        """A service's tasks now (id, name ``web.1``, slot, node, state, desired state)."""
        if self.kind != "service":
            raise ValueError("Only a Swarm service has tasks; this group has containers.")
        engine = self.engine
        service = engine.swarm.resolve_service(self.name)
        return list(engine.swarm.service_tasks(service["id"]))

    @property
    def containers(self) -> ContainerList:
        """The members now, by Compose service and number, then name."""
        if self.kind == "service":
            raise ValueError("A Swarm service's members are tasks (maybe on other nodes): .tasks")
        found = ContainerList()
        for _ref, summary in self.engine.call(lambda: find_members(self.engine, self.selector)):
            found.append(Container(self.client, summary))
        return found

    def _runs(
        self, tail: int | None, since: Any, until: Any
    ) -> tuple[list[Any], Iterator[list[tuple[Any, list[LogLine]]]]]:
        """The members and their histories merged, run by run (as the server's download)."""
        engine = self.engine
        docker_since = docker_time(since, "since")
        docker_until = docker_time(until, "until")
        after = cursor_after(since)
        if self.kind == "service":
            service, tasks = service_task_refs(engine, self.name)
            resume = {t.name: after for t in tasks.values()} if after is not None else None
            merged = service_history(
                engine,
                service["id"],
                tasks,
                tail,
                docker_since,
                resume,
                lambda task_id: task_ref(unlisted_task(self.name, task_id)),
            )
            return list(tasks.values()), merged
        members = [ref for ref, _ in engine.call(lambda: find_members(engine, self.selector))]
        resume = {ref.name: after for ref in members} if after is not None else None
        if resume is not None and after is not None and isinstance(since, Line):
            resume = _after_in_merge_order(members, since.container, after)
        pairs = [(ref, ref) for ref in members]
        return members, container_history(engine, pairs, tail, docker_since, docker_until, resume)

    def log_lines(
        self,
        tail: int | None = None,
        since: Any = None,
        until: Any = None,
        stream: str | None = None,
    ) -> list[Line]:
        """Every member's log merged by Docker's timestamp, as :class:`Line` objects with
        :attr:`~Line.container` set. ``tail`` counts per container, as
        ``docker compose logs --tail`` does; ``since``/``until``/``stream`` as in
        :meth:`Container.log_lines`."""
        only = Stream.parse(stream)
        _, merged = self._runs(tail, since, until)
        return [
            Line.from_log_line(line, ref.name)
            for runs in merged
            for ref, batch in runs
            for line in batch
            if only is None or line.stream == only
        ]

    def logs(
        self,
        tail: int | None = None,
        since: Any = None,
        until: Any = None,
        timestamps: bool = False,
        stream: str | None = None,
    ) -> str:
        """The merged log as text, as ``docker compose logs`` prints it (``name  | line``)."""
        only = Stream.parse(stream)
        members, merged = self._runs(tail, since, until)
        width = max((len(ref.name) for ref in members), default=0)
        return "".join(compose_text(runs, width, timestamps, only) for runs in merged)

    def search(
        self,
        query: str,
        *,
        regex: bool = False,
        case_sensitive: bool = False,
        since: Any = None,
        until: Any = None,
        stream: str | None = None,
        level: str | list[str] | None = None,
        context: int = 0,
        limit: int = 1000,
    ) -> list[SearchMatch]:
        """Search every member's whole log, merged by timestamp (as
        :meth:`Container.search`); each match's ``container`` says whose line it is."""
        if self.kind == "service":
            raise ValueError("Searching a service's tasks is not supported; search a container.")
        engine = self.engine
        members = [
            (ref, ref) for ref, _ in engine.call(lambda: find_members(engine, self.selector))
        ]
        return search_history(
            engine,
            members,
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

    def follow(
        self,
        tail: int | None = 0,
        since: Any = None,
        *,
        timeout: float | None = None,
        idle_timeout: float | None = None,
        stream: str | None = None,
        max_buffered_lines: int = 100_000,
    ) -> GroupFollow:
        """Follow the members live, merged: an iterator (and async iterator) of :class:`Line`
        with :attr:`~Line.container`. ``tail`` lines of history per member first (0: only new
        lines; None: all). Containers that join the group while you follow (a new Compose
        service, a scaled one) are followed from their first line. It ends after ``timeout``
        seconds, after ``idle_timeout`` seconds without a line, or on ``break``/:meth:`close`
        (a member stopping does not end it)."""
        Stream.parse(stream)  # (a ValueError before anything starts)
        return GroupFollow(
            self,
            tail=tail,
            since=since,
            timeout=timeout,
            idle_timeout=idle_timeout,
            only=stream,
            max_buffered_lines=max_buffered_lines,
        )

    def console(self, **options: Any) -> Any:
        """A merged console widget of the group (``lw.console(project=...)``)."""
        # The one import up a layer (the widget is built on groups and on the client), inside
        # this call on purpose: see UPWARD in tests/test_imports.py.
        from .widget import ContainerConsole

        return ContainerConsole(group=self, **options)

    def __repr__(self) -> str:
        return f"<littlewings Group {self.kind} {self.name!r}>"

    def _repr_html_(self) -> str:
        title = f"<p><b>{html.escape(self.kind)}</b> {html.escape(self.name)}</p>"
        if self.kind == "service":
            rows = "".join(
                f"<li>{html.escape(t['name'])}: {html.escape(t['state'])}</li>" for t in self.tasks
            )
            return f"{title}<ul>{rows}</ul>"
        return title + containers_table([c._summary for c in self.containers])


class _GroupSink:
    """Where the session of a :class:`GroupFollow` puts its merged lines: its buffer."""

    def __init__(self, buffer: LineBuffer, only: int | None) -> None:
        self.buffer = buffer
        self.only = only

    def _push(self, runs: list[tuple[Any, list[LogLine]]]) -> None:
        only = self.only
        lines = [
            Line.from_log_line(line, member.name)
            for member, batch in runs
            for line in batch
            if only is None or line.stream == only
        ]
        if lines:
            self.buffer.push_nowait(lines)

    def history_runs(self, runs: list[tuple[Any, list[LogLine]]]) -> None:
        self._push(runs)

    def live_runs(self, runs: list[tuple[Any, list[LogLine]]]) -> None:
        self._push(runs)

    def history_lines(self, lines: list[LogLine]) -> None:
        raise AssertionError("a group's session has runs of members, not one container's lines")

    def live_lines(self, lines: list[LogLine]) -> None:
        raise AssertionError("a group's session has runs of members, not one container's lines")


class GroupFollow(LogFollow):
    """Live merged lines of a :class:`Group` (see :meth:`Group.follow`); ends as a
    :class:`LogFollow` does, except that members stopping or going do not end it.

    A consumer more than ``max_buffered_lines`` behind loses the oldest lines: :attr:`dropped`
    counts them, and a warning says so (the kernel's event loop never waits for a cell).
    """

    def __init__(
        self,
        group: Group,
        *,
        tail: int | None,
        since: Any,
        timeout: float | None,
        idle_timeout: float | None,
        only: str | None,
        max_buffered_lines: int,
    ) -> None:
        self.group = group
        self.container = group  # type: ignore[assignment]  # what repr() names
        self._start_clock(timeout, idle_timeout, max_buffered_lines)
        frame: dict[str, Any] = {"type": "connect", **connect_fields(group.selector)}
        frame["engine"] = group.engine.name
        frame["tail"] = "all" if tail is None else tail
        if since is not None:
            frame["since"] = docker_time(since, "since")
            if tail == 0:
                frame["tail"] = "all"  # a start time asks for everything after it
        buffer = self._buffer
        stream = Stream.parse(only)
        self._reader = open_follow_session(
            self, group.client, frame, lambda _runtime: _GroupSink(buffer, stream)
        )

    def _on_frame(self, message: str) -> None:
        """A frame of the follow's session that is not lines: a refusal of the connect ends
        the follow with its error (members going do not end it)."""
        frame = json.loads(message)
        if frame.get("type") == "error":
            self._buffer.end("error", from_wire(frame))

    def __repr__(self) -> str:
        state = f"ended: {self.reason}" if self.reason else "following"
        return f"<GroupFollow of {self.group.kind} {self.group.name!r} ({state})>"


def connect_fields(selector: GroupSelector) -> dict[str, Any]:
    """The ``connect`` fields that name a group, back from its selector."""
    if selector.kind == "containers":
        return {"server_ids": list(selector.refs)}
    return {selector.kind: selector.name}


def _after_in_merge_order(members: list[Any], container: str | None, after: Cursor) -> dict:
    """Each member's cursor to resume after, for the lines that follow ``container``'s line at
    ``after`` in the merged order: lines of one timestamp go in the members' order, so a member
    listed before it resumes after that timestamp, one listed after it at that timestamp
    (whole-second stamps, Podman's, make such ties common)."""
    names = [ref.name for ref in members]
    if container not in names:
        return {name: after for name in names}
    mine = names.index(container)
    return {
        name: after if i == mine else Cursor(after.timestamp, sys.maxsize if i < mine else -1)
        for i, name in enumerate(names)
    }


__all__ = ["Group", "GroupFollow", "connect_fields", "selector_of"]

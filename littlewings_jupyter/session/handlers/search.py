"""Searching the watched history: ``search`` (results as they are found, with progress) and
``search_cancel``. The scan itself is session/search.py."""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from ...errors import InvalidMessage, LittleWingsError, NotConnected, TooManyCommands
from ...parsing.lines import LogLine
from .. import protocol
from ..pump import pump
from ..search import Progress, scan

if TYPE_CHECKING:
    from ..interfaces import Handler
    from ..session import ClientSession

# Searches one connection may run at once.
MAX_SEARCHES = 2


def search_source(session: ClientSession, query: Any) -> Generator[Any, None, None]:
    """The history to search: the connected container's, or the group's merged."""
    since = None if query.since is None else f"{query.since:.9f}"
    until = None if query.until is None else f"{query.until:.9f}"
    if session.group is not None:
        group = session.group
        return group.history(group.ordered_members(), None, since, None, until)
    container = session.require_container()
    engine = session.manager.engine_for(container)

    def runs() -> Generator[list[tuple[Any, list[LogLine]]], None, None]:
        batches = engine.iter_logs(container.id, container.tty, since=since, until=until)
        try:
            for batch in batches:
                yield [(None, batch)]
        finally:
            batches.close()

    return runs()


async def on_search(session: ClientSession, message: protocol.Search) -> None:
    await session.authorize("read")
    if session.container is None and session.group is None:
        raise NotConnected("Connect to a container (or a group) before searching its logs.")
    key = str(message.id)
    if key in session.searches:
        raise InvalidMessage(f"A search with id {message.id!r} is running already.")
    if len(session.searches) >= MAX_SEARCHES:
        raise TooManyCommands(
            f"{len(session.searches)} searches are running on this connection; cancel one "
            "(search_cancel) or wait for it."
        )
    stop = session.searches[key] = threading.Event()
    source = search_source(session, message.query)
    session.send(protocol.reply("search_started", message.id))
    # In a task of its own: the socket goes on reading (search_cancel, heartbeats...).
    session.spawn(_run_search(session, message, key, source, stop))


async def _run_search(
    session: ClientSession,
    message: protocol.Search,
    key: str,
    source: Generator[Any, None, None],
    stop: threading.Event,
) -> None:
    manager = session.manager
    found = scan(message.query, source, stop, manager.limits.search_time_limit)
    end: tuple[Progress, str] | None = None

    async def deliver(item: tuple[str, Any]) -> bool:
        nonlocal end
        kind, value = item
        if kind == "matches":
            for start in range(0, len(value), 200):
                chunk = [m.to_json() for m in value[start : start + 200]]
                session.send(protocol.reply("search_results", message.id, matches=chunk))
        elif kind == "progress":
            session.send(protocol.reply("search_progress", message.id, **value.to_json()))
        else:
            end = value
        return await session.wait_for_room()

    try:
        await pump(manager.run, found, deliver)
    except LittleWingsError as exc:
        session.send(exc.to_wire(message.id))
        return
    finally:
        session.searches.pop(key, None)
        await manager.run(source.close)
    if end is not None:
        progress, reason = end
        session.send(
            protocol.reply(
                "search_end",
                message.id,
                reason=reason,
                complete=reason == "done",
                **progress.to_json(),
            )
        )


async def on_search_cancel(session: ClientSession, message: protocol.Search) -> None:
    stop = session.searches.get(message.search)
    if stop is None:
        raise InvalidMessage(f"No search {message.search!r} is running on this connection.")
    stop.set()


HANDLERS: dict[str, Handler] = {"search": on_search, "search_cancel": on_search_cancel}

"""REST endpoints that read logs: downloads (one container, a group, a service; text or zip),
search, and the archive.
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ...docker.models import ContainerRef
from ...errors import (
    ArchiveOff,
    ContainerNotFound,
    InvalidMessage,
)
from ...parsing.lines import LogLine, line_text
from ...parsing.times import DockerTime
from ...session import protocol
from ...session.archive import Archive, line_json
from ...session.groups import (
    compose_text,
    container_history,
    find_members,
    member_history,
    service_history,
    service_task_refs,
    task_ref,
    unlisted_task,
)
from ...session.pump import pump
from ...session.search import SearchQuery, scan
from .base import FILENAME_SAFE, LittleWingsAPIHandler
from .zipstream import zip_chunks


class ContainerLogsHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/containers/{id}/logs``: the logs as a text download."""

    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        """``tail``, ``since``, ``until``, ``timestamps``; ``stream=stdout|stderr`` to pick one."""
        tail, since_s, until_s, timestamps, wanted = self.log_arguments()
        container = await self.container(ref)
        engine = self.manager.engine_for(container)
        batches = engine.iter_logs(
            container.id, container.tty, tail=tail, since=since_s, until=until_s
        )
        filename = FILENAME_SAFE.sub("_", container.name) or container.id[:12]
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{filename}.log"')

        def text(lines: list[LogLine]) -> str:
            return "".join(
                line_text(line, timestamps)
                for line in lines
                if wanted is None or line.stream == wanted
            )

        await self.stream_download(batches, text)


class GroupLogsHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/logs?project=…`` (or ``pod=…``, ``label=…``, ``service=…``,
    ``server_ids=a,b``): the merged
    logs of several containers as one download, or a zip of one file per container."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``tail`` (per container), ``since``, ``until``, ``timestamps``, ``stream``,
        ``format=text|zip``."""
        query: dict[str, Any] = {}
        for key in ("project", "pod", "label", "service", "task"):
            if self.get_argument(key, None) is not None:
                query[key] = self.get_argument(key)
        if self.get_argument("server_ids", None) is not None:
            query["server_ids"] = [r for r in self.get_argument("server_ids").split(",") if r]
        selector = protocol.parse_group(query)
        if selector is None:
            raise InvalidMessage(
                "Give 'project', 'pod', 'label', 'service', 'task' or 'server_ids' "
                "(comma-separated)."
            )
        tail, since_s, until_s, timestamps, wanted = self.log_arguments()
        fmt = self.get_argument("format", "text")
        if fmt not in ("text", "zip"):
            raise InvalidMessage("Query argument 'format' must be text or zip.")
        manager = self.manager
        engine = manager.slot(self.engine_name).engine
        filename = FILENAME_SAFE.sub("_", selector.name)[:100] or selector.kind
        if selector.kind in ("service", "task"):
            await self._service_logs(engine, selector, fmt, filename)
            return
        members = await manager.run(find_members, engine, selector)
        if fmt == "zip":
            files = (
                (
                    member_filename(ref.name or ref.id[:12]),
                    member_bytes(
                        member_history(engine, ref, tail, since_s, until_s), timestamps, wanted
                    ),
                )
                for ref, _ in members
            )
            await self.send_zip(files, filename)
            return
        self.set_header("Content-Disposition", f'attachment; filename="{filename}.log"')
        width = max((len(ref.name) for ref, _ in members), default=0)
        pairs = [(ref, ref) for ref, _ in members]
        merged = container_history(engine, pairs, tail, since_s, until_s)
        await self.stream_download(
            merged, lambda runs: compose_text(runs, width, timestamps, wanted)
        )

    async def _service_logs(self, engine: Any, selector: Any, fmt: str, filename: str) -> None:
        """A Swarm service's logs over its tasks (Docker's service log has no ``until``), read
        task by task from the manager and sent as they are read."""
        tail, since_s, _until, timestamps, wanted = self.log_arguments()
        if selector.kind == "task":  # one task, on whatever node it runs
            task = await self.manager.run(engine.swarm.find_task, selector.name)
            service = {"id": task["service_id"]}
            members = {task["id"]: task_ref(task)}
        else:
            service, members = await self.manager.run(service_task_refs, engine, selector.name)

        def stranger(task_id: str) -> ContainerRef:
            return task_ref(unlisted_task(selector.name, task_id))

        if fmt == "zip":
            files = (
                (
                    member_filename(member.name),
                    member_bytes(
                        (
                            [line for _, run in runs for line in run]
                            for runs in service_history(
                                engine,
                                service["id"],
                                members,
                                tail,
                                since_s,
                                None,
                                stranger,
                                task_id,
                            )
                        ),
                        timestamps,
                        wanted,
                    ),
                )
                for task_id, member in members.items()
            )
            await self.send_zip(files, filename)
            return
        width = max((len(m.name) for m in members.values()), default=0)
        self.set_header("Content-Disposition", f'attachment; filename="{filename}.log"')
        merged = service_history(engine, service["id"], members, tail, since_s, None, stranger)
        await self.stream_download(
            merged, lambda runs: compose_text(runs, width, timestamps, wanted)
        )

    async def send_zip(self, files: Any, filename: str) -> None:
        """A zip of ``files`` (name, pieces of bytes), sent as it is made."""
        self.set_header("Content-Disposition", f'attachment; filename="{filename}-logs.zip"')
        await self.stream_download(zip_chunks(files), bytes, "application/zip")


def member_filename(name: str) -> str:
    """A member's file in a zip: ``web-1.log`` (its name with what a file name cannot hold
    replaced)."""
    return (FILENAME_SAFE.sub("_", name) or "container") + ".log"


def member_bytes(
    batches: Any, timestamps: bool, wanted: int | None
) -> Generator[bytes, None, None]:
    """A member's lines as a file's bytes, batch by batch (``wanted``: one stream only)."""
    for batch in batches:
        text = "".join(
            line_text(line, timestamps) for line in batch if wanted is None or line.stream == wanted
        )
        if text:
            yield text.encode("utf-8")


class SearchHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/containers/{id}/search?query=…``: search a container's whole
    history on the server; the matches (with ``context`` lines) and how far it looked."""

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.stop_search = threading.Event()

    def search_query(self) -> SearchQuery:
        """The query from the query arguments (as a ``search`` frame names them)."""
        data: dict[str, Any] = {"query": self.get_argument("query", "")}
        for name in ("regex", "case_sensitive"):
            data[name] = self.get_flag(name)
        for name in ("context", "limit"):
            value = self.get_argument(name, None)
            if value is not None:
                if not value.isdigit():
                    raise InvalidMessage(f"Query argument {name!r} must be a whole number.")
                data[name] = int(value)
        for name in ("since", "until", "stream"):
            if self.get_argument(name, None) is not None:
                data[name] = self.get_argument(name)
        levels = self.get_arguments("level")
        if levels:
            data["level"] = [v for value in levels for v in value.split(",") if v]
        return SearchQuery.from_message(data)

    def on_connection_close(self) -> None:
        """A client that hung up stops its search."""
        self.stop_search.set()
        super().on_connection_close()

    async def run_search(self, query: SearchQuery, source: Any) -> None:
        found = scan(query, source, self.stop_search, self.manager.limits.search_time_limit)
        matches: list[dict[str, Any]] = []
        end: tuple[Any, str] | None = None

        async def deliver(item: tuple[str, Any]) -> bool:
            nonlocal end
            kind, value = item
            if kind == "matches":
                matches.extend(m.to_json() for m in value)
            elif kind == "end":
                end = value
            return True

        try:
            await pump(self.manager.run, found, deliver)
        finally:
            await self.manager.run(source.close)
        assert end is not None
        progress, reason = end
        self.finish(
            {
                **progress.to_json(),  # its "matches" (a count) gives way to the list
                "matches": matches,
                "reason": reason,
                "complete": reason == "done",
            }
        )

    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        """The matches, oldest first."""
        query = self.search_query()
        container = await self.container(ref)
        engine = self.manager.engine_for(container)
        since = None if query.since is None else f"{query.since:.9f}"
        until = None if query.until is None else f"{query.until:.9f}"
        pairs = [(None, container)]
        await self.run_search(query, container_history(engine, pairs, None, since, until))


class ArchiveHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/archive``: the archived containers, removed ones included."""

    def the_archive(self) -> Archive:
        archiver = self.manager.archiver
        archive = archiver.for_reading() if archiver is not None else None
        if archive is None:
            raise ArchiveOff(
                "Nothing is archived on this server: set c.LittleWings.archive = True, or label "
                "containers littlewings.archive=true."
            )
        return archive

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Each: id, name, engine, image, labels, first and last line's time, lines, removed."""
        archiver = self.manager.archiver
        archive = archiver.for_reading() if archiver is not None else None
        containers = await self.manager.run(archive.containers) if archive else []
        self.finish({"archive": archive is not None, "containers": containers})


class ArchivedLogsHandler(ArchiveHandler):
    """``GET api/littlewings/archive/{id}/logs``: an archived container's logs (text)."""

    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        """``tail``, ``since``, ``until``, ``timestamps``, ``stream``; ``format=json`` for lines
        with their cursors."""
        archive = self.the_archive()
        item = await self.manager.run(archive.find, ref)
        if item is None:
            raise ContainerNotFound(ref)
        tail, since_s, until_s, timestamps, wanted = self.log_arguments()
        since = None if since_s is None else DockerTime.from_docker(since_s).text
        until = None if until_s is None else DockerTime.from_docker(until_s).text
        lines = await self.manager.run(archive.lines, item["key"], tail, since, until)
        lines = [line for line in lines if wanted is None or line.stream == wanted]
        if self.get_argument("format", "text") == "json":
            self.finish({"container": item, "lines": [line_json(line) for line in lines]})
            return
        filename = FILENAME_SAFE.sub("_", item["name"]) or item["id"][:12]
        self.set_header("Content-Disposition", f'attachment; filename="{filename}.log"')
        self.finish(
            "".join(line_text(line, timestamps) for line in lines),
            set_content_type="text/plain; charset=utf-8",
        )


class ArchivedSearchHandler(ArchiveHandler, SearchHandler):
    """``GET api/littlewings/archive/{id}/search?query=…``: search an archived container (the
    trigram index finds the candidate lines of a plain query; the search is the live one's)."""

    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        """The matches, oldest first (as ``…/containers/{id}/search``)."""
        archive = self.the_archive()
        item = await self.manager.run(archive.find, ref)
        if item is None:
            raise ContainerNotFound(ref)
        query = self.search_query()
        since = None if query.since is None else DockerTime.from_seconds(query.since).text
        until = None if query.until is None else DockerTime.from_seconds(query.until).text
        plain = None if query.regex else query.pattern
        batches = archive.batches(item["key"], since, until, containing=plain)

        def runs() -> Generator[list[tuple[Any, list[Any]]], None, None]:
            try:
                for batch in batches:
                    yield [(None, batch)]
            finally:
                batches.close()

        await self.run_search(query, runs())

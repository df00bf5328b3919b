"""REST endpoints under ``{base_url}api/littlewings/``: JSON in, JSON out, errors as JSON."""

from __future__ import annotations

import base64
import io
import json
import re
import tempfile
import threading
import zipfile
from collections.abc import Generator
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.iostream import StreamClosedError

from .._version import __version__
from ..docker.files import normalize
from ..docker.lines import LogLine, line_text
from ..docker.models import POWER_ACTIONS, ContainerRef
from ..docker.times import DockerTime
from ..errors import (
    ArchiveOff,
    ContainerNotFound,
    EngineUnavailable,
    InvalidMessage,
    LittleWingsError,
)
from ..session import protocol
from ..session.archive import Archive, line_json
from ..session.groups import (
    compose_text,
    container_history,
    find_members,
    member_history,
    service_history,
    service_task_refs,
    task_ref,
    unlisted_task,
)
from ..session.limits import TokenBucket
from ..session.pump import pump
from ..session.search import SearchQuery, scan
from .handlers import LittleWingsHandlerMixin

_FILENAME_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
# What tornado's get_argument replaces with a space.
_MANGLED = re.compile(r"[\x00-\x08\x0e-\x1f]")


class LittleWingsAPIHandler(LittleWingsHandlerMixin, APIHandler):
    """Base of the REST handlers: our errors become JSON bodies with the right status."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as ``{"error": code, "message": …}``."""
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, LittleWingsError):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(exc.to_json()))
            return
        message = getattr(exc, "log_message", None) or self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": _http_code(status_code), "message": message}))

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        """Use our error's HTTP status rather than tornado's 500."""
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, LittleWingsError):
            status_code = exc.http_status
        super().send_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Our errors are answers, not crashes: log them briefly."""
        if isinstance(value, LittleWingsError):
            self.log.info("LittleWings %s: %s", value.code, value.message)
            return
        super().log_exception(typ, value, tb)

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        """Refuse what tornado would silently turn into spaces (NUL and other control
        characters): the server must not read or write another thing than was asked."""
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            what = f"Query argument {name!r}" if name else "The URL"
            raise InvalidMessage(f"{what} is not UTF-8.") from None
        bad = _MANGLED.search(text)
        if bad:
            what = f"Query argument {name!r}" if name else "The URL"
            raise InvalidMessage(
                f"{what} contains a control character ({bad.group()!r}).",
                **({"field": name} if name else {}),
            )
        return text

    @property
    def engine_name(self) -> str:
        """The ``engine`` query argument ("" for the default engine)."""
        return protocol.parse_engine({"engine": self.get_argument("engine", "")})

    async def container(self, ref: str) -> ContainerRef:
        """The container ``ref`` on the request's engine."""
        return await self.manager.resolve(self.engine_name, ref)

    def log_arguments(self) -> tuple[int | None, str | None, str | None, bool, int | None]:
        """``tail``, ``since``, ``until`` (as Docker takes them), ``timestamps`` and ``stream``
        (1 stdout, 2 stderr, None both) of a logs download."""
        tail_arg = self.get_argument("tail", "all")
        if tail_arg == "all":
            tail = None
        elif tail_arg.isdigit():
            tail = int(tail_arg)
        else:
            raise InvalidMessage("Query argument 'tail' must be a whole number or 'all'.")
        since = self.get_argument("since", None)
        until = self.get_argument("until", None)
        since_s = None if since is None else f"{protocol.parse_time(since, 'since'):.9f}"
        until_s = None if until is None else f"{protocol.parse_time(until, 'until'):.9f}"
        only = self.get_argument("stream", None)
        if only not in (None, "stdout", "stderr"):
            raise InvalidMessage("Query argument 'stream' must be stdout or stderr.")
        wanted = {"stdout": 1, "stderr": 2}.get(only or "")
        return tail, since_s, until_s, self.get_flag("timestamps"), wanted

    @property
    def rate(self) -> TokenBucket:
        """The rate limit of REST changes: per user, or per token for token requests.

        A request with a token and no login cookie gets a new anonymous user name each time from
        Jupyter's identity provider: keyed by name, a script could skip the limit.
        """
        return self.manager.actions.rate_for_user(self.principal)

    def json_body(self) -> Any:
        """The request's JSON body (``{}`` when empty)."""
        return protocol.decode_json(self.request.body or b"{}", "The body")

    async def stream_download(self, chunks: Generator[Any, None, None], text: Any) -> None:
        """Send ``text(chunk)`` of each chunk as it is read (in a worker thread), flushed one
        by one so memory stays flat; a client that hangs up ends it quietly, and the Docker
        stream behind ``chunks`` is closed either way."""

        async def deliver(chunk: Any) -> bool:
            self.write(text(chunk))
            try:
                await self.flush()
            except StreamClosedError:
                return False  # the client hung up: nothing to answer
            return True

        if not await pump(self.manager.run, chunks, deliver):
            return
        self.finish(set_content_type="text/plain; charset=utf-8")

    def get_flag(self, name: str, default: bool = False) -> bool:
        """A boolean query argument (``1/true/yes`` or ``0/false/no``)."""
        value = self.get_argument(name, None)
        if value is None:
            return default
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off", ""):
            return False
        raise InvalidMessage(f"Query argument {name!r} must be true or false.")


class StatusHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/status``: is the engine there, what may I do, the limits."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """The engine's availability and version, and the user's permissions."""
        engine: dict[str, Any] = {"available": False}
        try:
            version = await self.manager.run(self.manager.slot(self.engine_name).engine.version)
            engine = {
                "available": True,
                "version": version.get("Version"),
                "api_version": version.get("ApiVersion"),
                "os": version.get("Os"),
            }
        except LittleWingsError as exc:
            engine["error"] = exc.message
        limits = self.manager.limits
        self.finish(
            {
                "version": __version__,
                "protocol": protocol.PROTOCOL_VERSION,
                "engine": engine,
                "permissions": await self.permissions(),
                "read_only": limits.read_only,
                "exec_enabled": limits.exec_enabled,
                "stdin_enabled": limits.stdin_enabled,
                "history_lines": limits.history_lines,
                "log_streams": self.manager.active_log_streams(),
                "port_proxy": port_proxy(self.serverapp),
            }
        )


class EnginesHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/engines``: every Docker engine, whether it answers, its version and
    container counts (never a credential: no key, certificate or password)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Each engine: name, url, source, tls, reachable, version, containers, running, error."""
        self.finish({"engines": await self.manager.engines_status()})


class ContainersHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/containers``: every visible container."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """The summaries, running and stopped (``?all=false`` for running only)."""
        include_all = self.get_flag("all", True)
        names = [self.engine_name] if self.engine_name else None
        containers, engines = await self.manager.list_all(names, include_all)
        if not any(e["reachable"] for e in engines):
            # Nothing to show: the one engine asked (or every one) does not answer.
            raise EngineUnavailable(engines[0]["error"] if engines else "No engine is configured.")
        self.finish({"containers": containers, "engines": engines})

    @web.authenticated
    async def post(self) -> None:
        """Create (and start) a container from the JSON body (docs/protocol.md, ``create``);
        201 and its summary. Checked, refused and audited in ``SessionManager.create``."""
        if not await self.is_authorized("read"):
            raise web.HTTPError(403)
        summary = await self.manager.actions.create(
            self, self.json_body(), via="rest", engine=self.engine_name
        )
        self.set_status(201)
        self.finish({"ok": True, "container": summary})


class ContainerHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/containers/{id}``: one container in detail."""

    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        """The detailed summary."""
        container = await self.container(ref)
        self.finish(await self.manager.run(self.manager.engine_for(container).describe, ref))

    @web.authenticated
    async def delete(self, ref: str) -> None:
        """Remove the container (``?force=1``: even running; ``?volumes=1``: its anonymous
        volumes too)."""
        if not await self.is_authorized("read"):
            raise web.HTTPError(403)
        container = await self.container(ref)
        removed = await self.manager.actions.remove(
            self,
            container,
            force=self.get_flag("force"),
            volumes=self.get_flag("volumes"),
            via="rest",
        )
        self.finish({"ok": True, "removed": removed})


class ImagesHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/images``: the engine's local images (for a new container)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Id, tags, size and creation time of each local image; nothing is pulled."""
        images = await self.manager.run(self.manager.slot(self.engine_name).engine.list_images)
        self.finish({"images": images})


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
        filename = _FILENAME_SAFE.sub("_", container.name) or container.id[:12]
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
    """``GET api/littlewings/logs?project=…`` (or ``label=…``, ``server_ids=a,b``): the merged
    logs of several containers as one download, or a zip of one file per container."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """``tail`` (per container), ``since``, ``until``, ``timestamps``, ``stream``,
        ``format=text|zip``."""
        query: dict[str, Any] = {}
        for key in ("project", "label", "service"):
            if self.get_argument(key, None) is not None:
                query[key] = self.get_argument(key)
        if self.get_argument("server_ids", None) is not None:
            query["server_ids"] = [r for r in self.get_argument("server_ids").split(",") if r]
        selector = protocol.parse_group(query)
        if selector is None:
            raise InvalidMessage(
                "Give 'project', 'label', 'service' or 'server_ids' (comma-separated)."
            )
        tail, since_s, until_s, timestamps, wanted = self.log_arguments()
        fmt = self.get_argument("format", "text")
        if fmt not in ("text", "zip"):
            raise InvalidMessage("Query argument 'format' must be text or zip.")
        manager = self.manager
        engine = manager.slot(self.engine_name).engine
        filename = _FILENAME_SAFE.sub("_", selector.name)[:100] or selector.kind
        if selector.kind == "service":
            await self._service_logs(engine, selector, fmt, filename)
            return
        members = await manager.run(find_members, engine, selector)
        if fmt == "zip":
            data = await manager.run(
                _zip_logs, engine, members, tail, since_s, until_s, timestamps, wanted
            )
            self.set_header("Content-Type", "application/zip")
            self.set_header("Content-Disposition", f'attachment; filename="{filename}-logs.zip"')
            self.finish(data, set_content_type="application/zip")
            return
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{filename}.log"')
        width = max((len(ref.name) for ref, _ in members), default=0)
        pairs = [(ref, ref) for ref, _ in members]
        merged = container_history(engine, pairs, tail, since_s, until_s)
        await self.stream_download(
            merged, lambda runs: compose_text(runs, width, timestamps, wanted)
        )

    async def _service_logs(self, engine: Any, selector: Any, fmt: str, filename: str) -> None:
        """A Swarm service's logs over its tasks (Docker's service log has no ``until``)."""
        tail, since_s, _until, timestamps, wanted = self.log_arguments()
        manager = self.manager
        service, members = await manager.run(service_task_refs, engine, selector.name)
        merged = service_history(
            engine,
            service["id"],
            members,
            tail,
            since_s,
            None,
            lambda task_id: task_ref(unlisted_task(selector.name, task_id)),
        )
        chunks: list[list[tuple[Any, list[Any]]]] = await manager.run(list, merged)
        runs = [run for chunk in chunks for run in chunk]
        if fmt == "zip":
            files: dict[str, list[str]] = {}
            for member, lines in runs:
                files.setdefault(member.name, []).extend(
                    line_text(line, timestamps)
                    for line in lines
                    if wanted is None or line.stream == wanted
                )
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, texts in files.items():
                    archive.writestr(_FILENAME_SAFE.sub("_", name) + ".log", "".join(texts))
            self.set_header("Content-Disposition", f'attachment; filename="{filename}-logs.zip"')
            self.finish(buffer.getvalue(), set_content_type="application/zip")
            return
        width = max((len(m.name) for m in members.values()), default=0)
        self.set_header("Content-Disposition", f'attachment; filename="{filename}.log"')
        self.finish(
            compose_text(runs, width, timestamps, wanted),
            set_content_type="text/plain; charset=utf-8",
        )


class ServicesHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/services?engine=…``: a Swarm manager's services."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Each service: name, image, mode, replicas wanted and running, update state."""
        slot = self.manager.slot(self.engine_name)
        services = await self.manager.run(slot.engine.list_services)
        self.finish({"engine": slot.name, "services": services})


def port_proxy(serverapp: Any) -> str | None:
    """Where jupyter-server-proxy serves a local port (``<base_url>proxy/``, the port and a
    slash after it), or None when it is not enabled on this server: the consoles then link a
    published port on the host the page came from."""
    extensions = getattr(getattr(serverapp, "extension_manager", None), "extensions", {})
    package = extensions.get("jupyter_server_proxy")
    if package is None or not getattr(package, "enabled", False):
        return None
    return url_path_join(serverapp.base_url, "proxy/")


def _zip_logs(
    engine: Any,
    members: list[tuple[ContainerRef, dict[str, Any]]],
    tail: int | None,
    since: str | None,
    until: str | None,
    timestamps: bool,
    wanted: int | None,
) -> bytes:
    """One ``<name>.log`` per member, zipped (in a worker thread; spooled to disk when large)."""
    with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as spool:
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
            for ref, _ in members:
                name = (_FILENAME_SAFE.sub("_", ref.name) or ref.id[:12]) + ".log"
                with archive.open(name, "w") as out:
                    for batch in member_history(engine, ref, tail, since, until):
                        text = "".join(
                            line_text(line, timestamps)
                            for line in batch
                            if wanted is None or line.stream == wanted
                        )
                        out.write(text.encode("utf-8"))
        spool.seek(0)
        return spool.read()


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
        filename = _FILENAME_SAFE.sub("_", item["name"]) or item["id"][:12]
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


class PowerHandler(LittleWingsAPIHandler):
    """``POST api/littlewings/containers/{id}/power`` with ``{"action": …}``.

    The same path as the console's ``power`` message (``SessionManager.power``): the Authorizer's
    ``write``, read-only mode and the rate limit are checked there, and a refusal is audited as
    ``denied`` like any other (so ``@authorized``, which would refuse before the audit, is not
    used on this verb).
    """

    @web.authenticated
    async def post(self, ref: str) -> None:
        """Run the action; the container's summary afterwards."""
        if not await self.is_authorized("read"):
            raise web.HTTPError(403)
        body = self.json_body()
        action = body.get("action") if isinstance(body, dict) else None
        if action not in POWER_ACTIONS:
            raise InvalidMessage(f"'action' must be one of {', '.join(POWER_ACTIONS)}.")
        container = await self.container(ref)
        summary = await self.manager.actions.power(self, container, action, via="rest")
        self.finish({"ok": True, "action": action, "state": summary["state"], "container": summary})


class FilesHandler(LittleWingsAPIHandler):
    """``api/littlewings/containers/{id}/files?path=…``: the files inside a container.

    ``GET`` a directory: its entries; a file: its entry, with ``content=1`` its content (text,
    or base64 when it is not UTF-8, as Jupyter's contents API answers), with ``raw=1`` its
    bytes as a download. ``PUT`` ``{"content", "format": "text"|"base64", "last_modified"}``
    writes a file (refused when it changed since ``last_modified``), ``{"type": "directory"}``
    makes a folder; ``PATCH`` ``{"path": new}`` renames; ``DELETE`` deletes.
    """

    async def _target(self, ref: str) -> tuple[ContainerRef, str]:
        """The container (the user may see it) and the ``path`` argument, normalized.

        Changes are not ``@authorized``: the Authorizer's ``write`` is asked in
        ``SessionManager.change_file``, so a refusal is audited like any other.
        """
        if not await self.is_authorized("read"):
            raise web.HTTPError(403)
        container = await self.container(ref)
        return container, normalize(self.get_argument("path", "/", strip=False))

    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        """An entry, a listing, a content or a download."""
        manager = self.manager
        container, path = await self._target(ref)
        files = manager.slot_of(container).files
        entry = await manager.run(files.resolve, container.id, path)
        if entry["type"] == "directory":
            self.finish(await manager.run(files.listdir, container.id, path))
            return
        if not (self.get_flag("content") or self.get_flag("raw")):
            self.finish(entry)
            return
        data, entry = await manager.run(
            files.read, container.id, path, manager.limits.max_file_size
        )
        if self.get_flag("raw"):
            name = _FILENAME_SAFE.sub("_", entry["name"]) or "file"
            self.set_header("Content-Disposition", f'attachment; filename="{name}"')
            self.finish(data, set_content_type="application/octet-stream")
            return
        try:
            content, format_ = data.decode("utf-8"), "text"
        except UnicodeDecodeError:
            content, format_ = base64.b64encode(data).decode("ascii"), "base64"
        self.finish({**entry, "content": content, "format": format_})

    @web.authenticated
    async def put(self, ref: str) -> None:
        """Write a file, or make a directory."""
        manager = self.manager
        container, path = await self._target(ref)
        body = self.json_body()
        if not isinstance(body, dict):
            raise InvalidMessage("The body is a JSON object.")
        if body.get("type") == "directory":
            entry = await manager.actions.change_file(
                self, container, "mkdir", path, "rest", manager.slot_of(container).files.mkdir, path
            )
            self.set_status(201)
            self.finish(entry)
            return
        content = body.get("content")
        format_ = body.get("format", "text")
        if not isinstance(content, str) or format_ not in ("text", "base64"):
            raise InvalidMessage("'content' (a string) and 'format' (text or base64) are needed.")
        try:
            data = content.encode("utf-8") if format_ == "text" else base64.b64decode(content)
        except (ValueError, UnicodeEncodeError):
            raise InvalidMessage("'content' is not valid for its format.") from None
        expected = body.get("last_modified")
        if expected is not None and not isinstance(expected, str):
            raise InvalidMessage("'last_modified' is the time the file was read (ISO 8601).")
        entry = await manager.actions.change_file(
            self,
            container,
            "file_write",
            path,
            "rest",
            manager.slot_of(container).files.write,
            path,
            data,
            manager.limits.max_file_size,
            expected,
        )
        self.finish(entry)

    @web.authenticated
    async def patch(self, ref: str) -> None:
        """Rename or move."""
        manager = self.manager
        container, path = await self._target(ref)
        body = self.json_body()
        new_path = body.get("path") if isinstance(body, dict) else None
        if not isinstance(new_path, str):
            raise InvalidMessage("'path' is the new path.")
        entry = await manager.actions.change_file(
            self,
            container,
            "file_rename",
            f"{path} -> {normalize(new_path)}",
            "rest",
            manager.slot_of(container).files.rename,
            path,
            new_path,
        )
        self.finish(entry)

    @web.authenticated
    async def delete(self, ref: str) -> None:
        """Delete a file or a directory (with what it holds)."""
        manager = self.manager
        container, path = await self._target(ref)
        await manager.actions.change_file(
            self,
            container,
            "file_delete",
            path,
            "rest",
            manager.slot_of(container).files.delete,
            path,
        )
        self.set_status(204)
        self.finish()


class AuditHandler(LittleWingsAPIHandler):
    """``GET api/littlewings/audit``: the audit trail, newest first."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Filter with ``container``, ``user``, ``action``; page with ``limit`` and ``offset``."""
        audit = self.manager.audit
        if audit is None:
            self.finish({"enabled": False, "entries": [], "total": 0})
            return
        limit = self._int_argument("limit", 100, 1, 1000)
        offset = self._int_argument("offset", 0, 0, 10**9)
        container = self.get_argument("container", None)
        user = self.get_argument("user", None)
        action = self.get_argument("action", None)

        def read() -> dict[str, Any]:
            # Entries are written by a background thread: commit what was recorded before this
            # request first, so a client reads what it just did (a refused command, say).
            audit.flush()
            return audit.query(
                container=container, user=user, action=action, limit=limit, offset=offset
            )

        result = await self.manager.run(read)
        self.finish({"enabled": True, **result})

    def _int_argument(self, name: str, default: int, low: int, high: int) -> int:
        value = self.get_argument(name, None)
        if value is None:
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise InvalidMessage(
                f"Query argument {name!r} must be a whole number from {low} to {high}."
            )
        return int(value)


def _http_code(status: int) -> str:
    return {
        400: "invalid_message",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
    }.get(status, "error")


_CONTAINER = r"(?P<ref>[^/]+)"

default_handlers = [
    (r"/api/littlewings/status", StatusHandler),
    (r"/api/littlewings/engines", EnginesHandler),
    (r"/api/littlewings/containers", ContainersHandler),
    (rf"/api/littlewings/containers/{_CONTAINER}", ContainerHandler),
    (rf"/api/littlewings/containers/{_CONTAINER}/logs", ContainerLogsHandler),
    (rf"/api/littlewings/containers/{_CONTAINER}/power", PowerHandler),
    (rf"/api/littlewings/containers/{_CONTAINER}/search", SearchHandler),
    (rf"/api/littlewings/containers/{_CONTAINER}/files", FilesHandler),
    (r"/api/littlewings/logs", GroupLogsHandler),
    (r"/api/littlewings/services", ServicesHandler),
    (r"/api/littlewings/archive", ArchiveHandler),
    (rf"/api/littlewings/archive/{_CONTAINER}/logs", ArchivedLogsHandler),
    (rf"/api/littlewings/archive/{_CONTAINER}/search", ArchivedSearchHandler),
    (r"/api/littlewings/images", ImagesHandler),
    (r"/api/littlewings/audit", AuditHandler),
]

"""The blocking Docker layer: one docker-py client, visibility rules, and streams read in blocks.

Nothing here may run on the IOLoop: the session manager calls it from worker threads. It stays
one module (about 680 lines) on purpose: :class:`DockerEngine` is the one place where LittleWings
calls Docker's API, so that every call is translated to the same errors (:mod:`.errors`) and
scrubbed of credentials the same way. Swarm's calls are :mod:`.swarm` (``engine.swarm``),
programs run in containers :mod:`.processes`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import time
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from ..errors import (
    Conflict,
    ContainerNotFound,
    DockerError,
    EngineUnavailable,
    InvalidField,
    LittleWingsError,
    StdinNotOpen,
)
from ..parsing.lines import LineAssembler, LogLine
from . import wholeseconds
from .engines import redact_url
from .errors import NoLineYet, is_read_timeout, short_error, ssl_reason, translate_docker_error
from .framing import DockerStream, response_socket
from .models import (
    CONTAINER_REF_RE,
    ContainerRef,
    Visibility,
    check_power_action,
    engine_kind,
    summarize_inspected,
    summarize_listed,
)
from .spec import ContainerSpec
from .swarm import Swarm

if TYPE_CHECKING:
    import docker


# docker-py (and requests under it) are imported on first use, not with this module: the
# server extension is imported at every `jupyter server` start, and most starts never need them.


def _port_key(key: str) -> int | tuple[int, str]:
    """``"80/tcp"`` as docker-py's ``ports`` argument wants it."""
    number, _, protocol = key.partition("/")
    return int(number) if protocol in ("", "tcp") else (int(number), protocol)


log = logging.getLogger("littlewings")

# The version of Podman's own API asked for (Podman 4.x and 5.x serve it).
PODMAN_API_VERSION = "4.0.0"
# What an exec on Podman runs first: a tenth of a second's wait, then the program itself (its
# exit code and signals are the program's: `exec`). A `sleep` without fractions fails quietly.
PODMAN_EXEC_PREFIX = ["/bin/sh", "-c", 'sleep 0.1 2>/dev/null; exec "$@"', "sh"]


class DockerEngine:
    """A docker-py client made on first use and remade after the engine went away."""

    @classmethod
    def from_spec(cls, spec: Any, **options: Any) -> DockerEngine:
        """The engine an :class:`~littlewings_jupyter.docker.engines.EngineSpec` describes."""
        return cls(
            base_url=spec.url,
            alternates=list(getattr(spec, "alternates", []) or []),
            name=spec.name,
            tls=spec.tls_config if spec.tls_config is not None else (spec.tls or None),
            problem=spec.problem,
            **options,
        )

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float = 30,
        visibility: Visibility | None = None,
        max_pool_size: int = 64,
        max_line_bytes: int = 64 * 1024,
        settings_hint: str = "DOCKER_HOST or c.LittleWings.docker_url",
        name: str = "default",
        tls: Any = None,
        problem: str | None = None,
        alternates: list[str] | None = None,
    ) -> None:
        self.name = name
        # A Swarm's other managers: when the one read goes away, the next is used.
        self.base_urls = [base_url, *(alternates or [])] if base_url else []
        # A configuration that cannot work: said on every call instead of connecting.
        self.problem = problem
        # A docker.tls.TLSConfig, or the paths to make one of: {"ca", "cert", "key", "verify"}.
        self.tls = tls
        self.base_url = base_url or None
        self.settings_hint = settings_hint
        self.timeout = timeout
        self.visibility = visibility or Visibility()
        self.max_pool_size = max_pool_size
        self.max_line_bytes = max_line_bytes
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()
        self._kind: str | None = None
        self.known_version: str | None = None  # the engine's release, once asked
        self.swarm = Swarm(self)  # services, tasks and nodes, when the engine is a manager

    # -- connection --------------------------------------------------------------------------

    @property
    def client(self) -> docker.DockerClient:
        """The docker-py client; raises :class:`EngineUnavailable` when the engine is away."""
        client = self._client
        if client is not None:
            return client
        if self.problem:
            raise EngineUnavailable(f"The engine {self.name!r} is misconfigured: {self.problem}.")
        import docker
        import docker.errors

        with self._lock:
            if self._client is None:
                try:
                    if self.base_url and self.tls:
                        self._client = self._tls_client()
                    elif self.base_url:
                        self._client = docker.DockerClient(
                            base_url=self.base_url,
                            timeout=int(self.timeout),
                            max_pool_size=self.max_pool_size,
                        )
                    else:
                        self._client = docker.from_env(
                            timeout=int(self.timeout), max_pool_size=self.max_pool_size
                        )
                except docker.errors.DockerException as exc:
                    text = str(exc)
                    if "SSLError" in text or "SSL:" in text:
                        raise EngineUnavailable(
                            f"The TLS handshake with the Docker engine {self.name!r} failed: "
                            f"{ssl_reason(exc)}."
                        ) from None
                    raise EngineUnavailable(
                        self.scrub(
                            f"The Docker engine is not reachable: {short_error(exc)}. Is dockerd "
                            f"running, and may this process use its socket ({self.settings_hint})?"
                        )
                    ) from None
            return self._client

    def _tls_client(self) -> docker.DockerClient:
        import docker
        import docker.constants

        # The API version is asked only after trust_env is off: requests puts
        # REQUESTS_CA_BUNDLE (set on many machines, this one too) above the session's own CA
        # (psf/requests#3829), and the engine's CA must win.
        client = docker.DockerClient(
            base_url=self.base_url,
            timeout=int(self.timeout),
            max_pool_size=self.max_pool_size,
            tls=self._tls_config(),
            version=docker.constants.MINIMUM_DOCKER_API_VERSION,
        )
        client.api.trust_env = False
        try:
            client.api._version = client.api._retrieve_server_version()
        except Exception:
            client.close()
            raise
        return client

    def _tls_config(self) -> Any:
        tls = self.tls
        if not tls or not isinstance(tls, dict):
            return tls or False
        import docker.tls

        cert = (tls["cert"], tls["key"]) if tls.get("cert") else None
        verify = tls.get("verify", True)
        return docker.tls.TLSConfig(
            client_cert=cert, ca_cert=tls.get("ca"), verify=tls.get("ca", True) if verify else False
        )

    @property
    def api(self) -> docker.APIClient:
        """The low-level docker-py API client."""
        return self.client.api

    def reset(self) -> None:
        """Forget the client, so the next call connects again."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def scrub(self, text: str) -> str:
        """``text`` without the endpoint's password (docker-py and requests quote URLs)."""
        if self.base_url and "@" in self.base_url:
            with contextlib.suppress(ValueError):
                password = urlsplit(self.base_url).password
                if password:
                    text = text.replace(password, "***")
        return text

    def call(self, fn: Callable[[], Any], what: str = "") -> Any:
        """Run ``fn`` and translate its Docker errors; forget the client if the engine went
        away (with several managers: try the others, once each, before saying so)."""
        attempts = max(len(self.base_urls), 1)
        for attempt in range(attempts):
            try:
                return self._call_once(fn, what)
            except EngineUnavailable:
                if attempt == attempts - 1 or not self.fail_over():
                    raise
        raise AssertionError("not reached")

    def _call_once(self, fn: Callable[[], Any], what: str) -> Any:
        try:
            return fn()
        except LittleWingsError as exc:
            if isinstance(exc, EngineUnavailable):
                self.reset()
            raise
        except Exception as exc:
            error = translate_docker_error(exc, what)
            if isinstance(error, EngineUnavailable):
                self.reset()
            error.message = self.scrub(error.message)
            error.args = (error.message,)
            raise error from None

    def fail_over(self) -> bool:
        """Go on with the next manager of the list (False: the engine has no other)."""
        with self._lock:
            if len(self.base_urls) < 2:
                return False
            at = self.base_urls.index(self.base_url) if self.base_url in self.base_urls else -1
            self.base_url = self.base_urls[(at + 1) % len(self.base_urls)]
            client, self._client = self._client, None
        log.warning("LittleWings: engine %r now reads %s", self.name, redact_url(self.base_url))
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        return True

    def version(self) -> dict[str, Any]:
        """The engine's version information."""
        version = self.call(lambda: self.api.version())
        self._kind = engine_kind(version)
        self.known_version = str(version.get("Version") or "") or None
        return version

    @property
    def kind(self) -> str:
        """``"docker"`` or ``"podman"`` (asked once; ``"docker"`` while nothing answers)."""
        if self._kind is None:
            with contextlib.suppress(LittleWingsError):
                self.version()
        return self._kind or "docker"

    def libpod_url(self, path: str) -> str:
        """The URL of ``path`` in Podman's own API (``/containers/json`` → ``…/libpod/…``)."""
        return f"{self.api.base_url}/v{PODMAN_API_VERSION}/libpod{path}"

    def _podman_listing(self, all: bool, only: str | None = None) -> dict[str, dict[str, str]]:
        """Container id → what Podman's own list adds to the compatible one: ``health``
        (``healthy``, ``unhealthy``, ``starting``; its compatible Status text leaves it out) and
        ``pod`` (the pod's name). One request for all (or for the container ``only``)."""
        params: dict[str, Any] = {"all": all}
        if only is not None:
            params["filters"] = json.dumps({"id": [only]})

        def get() -> Any:
            response = self.api._get(self.libpod_url("/containers/json"), params=params)
            return self.api._result(response, json=True)

        found: dict[str, dict[str, str]] = {}
        with contextlib.suppress(LittleWingsError):
            for item in self.call(get) or []:
                extra = found[str(item.get("Id"))] = {}
                status = str(item.get("Status") or "")
                if status in ("healthy", "unhealthy", "starting"):
                    extra["health"] = status
                if item.get("PodName"):
                    extra["pod"] = str(item["PodName"])
        return found

    def summarize(self, info: dict[str, Any]) -> dict[str, Any]:
        """The detailed summary of an inspected container (on Podman with its pod, which the
        compatible inspect leaves out)."""
        summary = summarize_inspected(info, self.name)
        if self.kind == "podman":
            extra = self._podman_listing(True, info["Id"]).get(info["Id"], {})
            summary["pod"] = extra.get("pod")
        return summary

    @property
    def whole_second_logs(self) -> bool:
        """The engine stamps log lines in whole seconds (Podman): many lines share a stamp, so
        their ordinals are only right when a read starts at a second's first line."""
        return self.kind == "podman"

    # -- containers --------------------------------------------------------------------------

    def list_containers(self, all: bool = True) -> list[dict[str, Any]]:
        """Summaries of every visible container."""
        items = self.call(lambda: self.api.containers(all=all))
        podman = self.kind == "podman"  # (asked once: the list says which engine it is)
        summaries = [summarize_listed(item, self.name) for item in items]
        visible = [s for s in summaries if self.visibility.allows(s["name"], s["labels"])]
        if podman and visible:
            # Podman's Docker-compatible list leaves health out of its Status text and says
            # nothing of pods; its own list says both (one request for all).
            listing = self._podman_listing(all)
            for summary in visible:
                extra = listing.get(summary["id"], {})
                summary["health"] = extra.get("health", summary.get("health"))
                summary["pod"] = extra.get("pod")
        for summary in visible:
            # The list does not say whether a 137 was the OOM killer: inspect says (the few
            # containers that exited so only).
            if summary.get("exit_code") == 137:
                with contextlib.suppress(LittleWingsError):
                    state = (
                        self.call(
                            functools.partial(self.api.inspect_container, summary["id"]),
                            summary["id"],
                        ).get("State")
                        or {}
                    )
                    summary["oom_killed"] = bool(state.get("OOMKilled"))
        return visible

    def inspect(self, ref: str) -> dict[str, Any]:
        """``docker inspect`` of a visible container by name, id or id prefix."""
        if not isinstance(ref, str) or not CONTAINER_REF_RE.match(ref):
            raise ContainerNotFound(str(ref)[:80])
        info = self.call(lambda: self.api.inspect_container(ref.lstrip("/")), ref)
        labels = (info.get("Config") or {}).get("Labels") or {}
        if not self.visibility.allows(info.get("Name", ""), labels):
            raise ContainerNotFound(ref)
        return info

    def describe(self, ref: str) -> dict[str, Any]:
        """The detailed summary of a visible container."""
        return self.summarize(self.inspect(ref))

    def resolve(self, ref: str) -> ContainerRef:
        """What the session manager needs to follow a visible container."""
        info = self.inspect(ref)
        config = info.get("Config") or {}
        return ContainerRef(
            id=info["Id"],
            name=info.get("Name", "").lstrip("/"),
            tty=bool(config.get("Tty")),
            open_stdin=bool(config.get("OpenStdin")),
            state=(info.get("State") or {}).get("Status", ""),
            started_at=(info.get("State") or {}).get("StartedAt", ""),
            engine=self.name,
        )

    def power(self, ref: str, action: str) -> dict[str, Any]:
        """Run a power action on a visible container; its summary afterwards."""
        info = self.inspect(ref)
        cid = info["Id"]
        check_power_action(action, (info.get("State") or {}).get("Status", ""))
        api = self.api
        calls: dict[str, Callable[[], Any]] = {
            "start": lambda: api.start(cid),
            "stop": lambda: api.stop(cid, timeout=10),
            "restart": lambda: api.restart(cid, timeout=10),
            "kill": lambda: api.kill(cid),
            "pause": lambda: api.pause(cid),
            "unpause": lambda: api.unpause(cid),
        }
        self.call(calls[action], ref)
        return self.summarize(self.call(lambda: api.inspect_container(cid), ref))

    # -- creating and removing -----------------------------------------------------------------

    def list_images(self) -> list[dict[str, Any]]:
        """The engine's local images (nothing is pulled): id, tags, size, creation time."""
        items = self.call(lambda: self.api.images())
        images = []
        for item in items:
            tags = [t for t in item.get("RepoTags") or [] if t != "<none>:<none>"]
            images.append(
                {
                    "id": item.get("Id", ""),
                    "tags": tags,
                    "size": item.get("Size", 0),
                    "created": item.get("Created", 0),
                }
            )
        images.sort(key=lambda i: (not i["tags"], i["tags"][:1], i["id"]))
        return images

    def create(self, spec: ContainerSpec, labels: dict[str, str]) -> dict[str, Any]:
        """Create (and start, unless told not to) a container; its summary. Nothing is left
        behind when a step fails: a container that cannot start is removed again."""
        import docker.errors

        api = self.api
        try:
            self.call(lambda: api.inspect_image(spec.image), spec.image)
        except ContainerNotFound:
            raise InvalidField(
                "image", f"no local image {spec.image!r} (LittleWings does not pull images)."
            ) from None
        host_config = api.create_host_config(
            port_bindings=dict(spec.ports) or None,
            binds=dict(spec.volumes) or None,
            mem_limit=spec.mem_limit,
            memswap_limit=spec.memswap_limit,
            nano_cpus=int(spec.cpus * 1e9) if spec.cpus else None,
            restart_policy=spec.restart_policy,
            network_mode=spec.network,
            privileged=spec.privileged,
            pid_mode=spec.pid_mode,
            ipc_mode=spec.ipc_mode,
            userns_mode=spec.userns_mode,
            devices=spec.devices or None,
        )

        def create() -> dict[str, Any]:
            try:
                return api.create_container(
                    spec.image,
                    command=spec.command,
                    name=spec.name,
                    environment=spec.env or None,
                    ports=[_port_key(k) for k in spec.ports] or None,
                    volumes=[v["bind"] for v in spec.volumes.values()] or None,
                    labels={**spec.labels, **labels},
                    stdin_open=spec.stdin_open,
                    tty=spec.tty,
                    working_dir=spec.working_dir,
                    user=spec.user,
                    entrypoint=spec.entrypoint,
                    host_config=host_config,
                )
            except docker.errors.APIError as exc:
                text = str(exc.explanation or exc)
                if exc.status_code == 409 or "that name is already in use" in text:
                    # (Podman says it with a 500)
                    raise Conflict(f"'name': {text}", field="name") from None
                if exc.status_code == 404 and "network" in text.lower():
                    raise InvalidField("network", text) from None
                raise DockerError(f"Docker refused to create the container: {text}") from None

        created = self.call(create, spec.name or spec.image)
        cid = created["Id"]
        if spec.start:
            try:
                self.call(lambda: api.start(cid), cid)
            except LittleWingsError as exc:
                with contextlib.suppress(Exception):
                    api.remove_container(cid, force=True, v=True)
                text = exc.message
                field = "ports" if "port" in text.lower() else None
                raise Conflict(
                    f"The container could not start and was removed: {text}",
                    **({"field": field} if field else {}),
                ) from None
        return self.summarize(self.call(lambda: api.inspect_container(cid), cid))

    def volume_host_paths(self, names: list[str]) -> dict[str, str]:
        """The host folder each existing named volume binds, for those that bind one (the
        local driver with ``o=bind`` or ``type=none`` and a ``device``: a host folder under
        another name). A volume that does not exist yet is made by Docker, empty, when used."""
        paths: dict[str, str] = {}
        for name in names:
            try:
                info = self.call(functools.partial(self.api.inspect_volume, name), name)
            except ContainerNotFound:
                continue
            options = info.get("Options") or {}
            device = options.get("device") or ""
            binds = "bind" in (options.get("o") or "").split(",") or options.get("type") == "none"
            if info.get("Driver") == "local" and binds and device:
                paths[name] = device
        return paths

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> dict[str, Any]:
        """Remove a visible container (``force`` stops a running one first); what it was."""
        info = self.inspect(ref)
        state = (info.get("State") or {}).get("Status", "")
        if state in ("running", "paused", "restarting") and not force:
            raise Conflict(
                f"{info.get('Name', ref).lstrip('/')!r} is {state}: stop it first, or remove "
                "with force."
            )
        self.call(lambda: self.api.remove_container(info["Id"], force=force, v=volumes), ref)
        return {"id": info["Id"], "name": info.get("Name", "").lstrip("/")}

    # -- streams -----------------------------------------------------------------------------

    def open_stream(
        self,
        path: str,
        ref: str,
        params: dict[str, Any],
        header_timeout: float | None = None,
    ) -> DockerStream:
        def open_() -> DockerStream:
            api = self.api
            url = path if path.startswith(("http:", "https:", "http+")) else api._url(path, ref)
            if header_timeout is None:
                response = api._get(url, params=params, stream=True)
            else:
                try:
                    response = api._get(url, params=params, stream=True, timeout=header_timeout)
                except Exception as exc:
                    if is_read_timeout(exc):
                        raise NoLineYet(f"{ref}: no line within {header_timeout} s") from None
                    raise
            try:
                api._raise_for_status(response)
            except Exception:
                response.close()  # an error answer must not keep its connection
                raise
            sock = response_socket(response)
            if sock is not None:
                sock.settimeout(None)
            return DockerStream(response)

        return self.call(open_, ref)

    def open_logs(
        self,
        container_id: str,
        *,
        follow: bool,
        tail: int | None = None,
        since: str | float | None = None,
        until: str | float | None = None,
        header_timeout: float | None = None,
    ) -> DockerStream:
        """A raw, timestamped log stream of stdout and stderr (multiplexed unless TTY).

        ``header_timeout``: raise :class:`NoLineYet` when the engine has not answered by then
        (Podman answers a follow only with its first line).
        """
        params: dict[str, Any] = {
            "stdout": 1,
            "stderr": 1,
            "timestamps": 1,
            "follow": 1 if follow else 0,
            "tail": "all" if tail is None else str(tail),
        }
        if since is not None:
            params["since"] = since
        if until is not None:
            params["until"] = until
        return self.open_stream("/containers/{0}/logs", container_id, params, header_timeout)

    def read_logs(
        self,
        container_id: str,
        tty: bool,
        *,
        tail: int | None = None,
        since: str | float | None = None,
        until: str | float | None = None,
    ) -> list[LogLine]:
        """The history of a container as whole lines."""
        lines: list[LogLine] = []
        for batch in self.iter_logs(container_id, tty, tail=tail, since=since, until=until):
            lines.extend(batch)
        return lines

    def iter_logs(
        self,
        container_id: str,
        tty: bool,
        *,
        tail: int | None = None,
        since: str | float | None = None,
        until: str | float | None = None,
        batch_lines: int = 5000,
    ) -> Generator[list[LogLine], None, None]:
        """The history of a container in batches of whole lines (its stream closes with it).

        On an engine with whole-second stamps, ``since`` counts from its whole second and a
        tail lying within one second starts at that second's first line (see
        :mod:`~littlewings_jupyter.docker.wholeseconds`).
        """

        def read(
            tail: int | None, since: str | float | None, until: str | float | None
        ) -> Iterator[list[LogLine]]:
            return self._iter_logs(container_id, tty, tail, since, until, batch_lines)

        if self.whole_second_logs:  # (asked here, in the reading thread, not by the caller)
            yield from wholeseconds.read_history(read, tail, since, until)
        else:
            yield from read(tail, since, until)

    def _iter_logs(
        self,
        container_id: str,
        tty: bool,
        tail: int | None,
        since: str | float | None,
        until: str | float | None,
        batch_lines: int,
    ) -> Generator[list[LogLine], None, None]:
        stream = self.open_logs(container_id, follow=False, tail=tail, since=since, until=until)
        assembler = LineAssembler(self.max_line_bytes, tty)
        batch: list[LogLine] = []
        try:
            for block in stream:
                batch.extend(assembler.feed(block))
                if len(batch) >= batch_lines:
                    yield batch
                    batch = []
            batch.extend(assembler.flush())
            if batch:
                yield batch
        finally:
            stream.close()

    def open_stats(self, container_id: str) -> DockerStream:
        """Docker's stats stream: one JSON document a line, about one a second. (Podman's own
        stats endpoint on Podman: its Docker-compatible one samples every 5 s, and its
        ``system_cpu_usage`` is the host's busy time, not its total time.)"""
        if self.kind == "podman":
            url = self.libpod_url("/containers/stats")
            params = {"containers": container_id, "stream": "true", "interval": 1}
            return self.open_stream(url, container_id, params)
        return self.open_stream("/containers/{0}/stats", container_id, {"stream": 1})

    def open_events(self, container_id: str | None = None) -> DockerStream:
        """Docker's event stream, container events only (of one container if given), one JSON
        document a line."""
        filters: dict[str, list[str]] = {"type": ["container"]}
        if container_id is not None:
            filters["container"] = [container_id]
        return self.open_stream("/events", container_id or "", {"filters": json.dumps(filters)})

    # -- commands ----------------------------------------------------------------------------

    def exec_start(
        self, container_id: str, argv: list[str], **options: Any
    ) -> tuple[str, DockerStream]:
        """Start ``argv`` in the container; its exec id and its multiplexed output stream.

        ``options`` go to docker-py's ``exec_create`` (``workdir``, ``environment``, ``user``).
        """

        command = argv
        if self.kind == "podman":
            # Podman 4.3 loses what an exec writes before its attachment is ready (measured: 4
            # of 80 `echo` outputs here); a moment's wait before the program keeps all of it.
            command = [*PODMAN_EXEC_PREFIX, *argv]

        def start() -> tuple[str, DockerStream]:
            api = self.api
            exec_id = api.exec_create(container_id, command, stdout=True, stderr=True, **options)[
                "Id"
            ]
            sock = api.exec_start(exec_id, socket=True)
            raw = getattr(sock, "_sock", sock)
            raw.settimeout(None)
            return exec_id, DockerStream(sock, raw_socket=raw)

        return self.call(start, container_id)

    def exec_exit_code(self, exec_id: str, wait: float = 10.0) -> int | None:
        """The exit code of a finished exec. Its output ends before the engine records its
        end (by milliseconds; by seconds on a loaded machine): wait up to ``wait`` seconds."""
        deadline = time.monotonic() + wait
        pause = 0.01
        while True:
            info = self.call(lambda: self.api.exec_inspect(exec_id))
            if not info.get("Running") and info.get("ExitCode") is not None:
                return int(info["ExitCode"])
            if time.monotonic() > deadline:
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def attach_stdin(self, container_id: str) -> Any:
        """A socket writing to the container's stdin."""

        def attach() -> Any:
            sock = self.api.attach_socket(
                container_id, params={"stdin": 1, "stream": 1, "stdout": 0, "stderr": 0}
            )
            return getattr(sock, "_sock", sock)

        return self.call(attach, container_id)

    def ensure_stdin_open(self, ref: ContainerRef) -> None:
        """Raise :class:`StdinNotOpen` for a container created without stdin open."""
        if not ref.open_stdin:
            raise StdinNotOpen(
                f"Container {ref.name!r} was not started with stdin open (docker run -i); "
                'send the command with "via": "exec" instead.'
            )

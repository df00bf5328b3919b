"""Which Docker engines LittleWings shows: configured ones, the environment's, the CLI's contexts.

``c.LittleWings.engines`` names engines (``{"gpu-box": {"url": "tcp://10.0.0.5:2376", "tls":
{"ca": …, "cert": …, "key": …}}}``; a Swarm's several managers as a list of URLs, ``{"prod":
["tcp://m1:2376", "tcp://m2:2376"]}`` or ``{"url": [...], "tls": …}``: one is read, the next when
it goes away); with ``use_docker_contexts`` the docker CLI's contexts
(``~/.docker/contexts``, read with docker-py's ``ContextAPI``) come too, the current one first.
Nothing here contacts an engine.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import InvalidMessage

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SCHEMES = ("unix", "tcp", "ssh", "npipe", "http", "https")
DEFAULT_SOCKET = "unix:///var/run/docker.sock"


@dataclass
class EngineSpec:
    """One engine to connect to: its name, endpoint and TLS material (paths, never contents)."""

    name: str
    url: str | None  # None: the environment's (DOCKER_HOST, DOCKER_TLS_VERIFY…)
    source: str  # "config", "context" or "environment"
    tls: dict[str, Any] = field(default_factory=dict)  # ca, cert, key (paths), verify (bool)
    tls_config: Any = None  # a docker.tls.TLSConfig (from a context), used as is
    problem: str | None = None  # a configuration that cannot work, said instead of connecting
    alternates: list[str] = field(default_factory=list)  # other managers of the same Swarm

    @property
    def display_url(self) -> str:
        """The endpoint as shown to users and logs: never a password."""
        if self.url is None:
            host = os.environ.get("DOCKER_HOST", "")
            return redact_url(host) if host else "unix:///var/run/docker.sock (environment)"
        return redact_url(self.url)

    @property
    def uses_tls(self) -> bool:
        """Whether the connection is TLS."""
        return bool(self.tls) or self.tls_config is not None

    @property
    def urls(self) -> list[str]:
        """Every endpoint of the engine (the first, then the other managers)."""
        return [self.url, *self.alternates] if self.url else []

    def describe(self) -> dict[str, Any]:
        """What the browser may know of it: no key, no certificate, no password."""
        described = {
            "name": self.name,
            "url": self.display_url,
            "source": self.source,
            "tls": self.uses_tls,
        }
        if self.alternates:
            described["urls"] = [redact_url(url) for url in self.urls]
        return described


def redact_url(url: str) -> str:
    """``tcp://user:secret@host:2376`` → ``tcp://user@host:2376`` (and query strings dropped)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an endpoint that is not a URL)"
    netloc = parts.netloc
    if "@" not in netloc and not parts.query:
        return url
    userinfo, _, host = netloc.rpartition("@")
    netloc = f"{userinfo.partition(':')[0]}@{host}" if userinfo else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _check_url(name: str, url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidMessage(
            f"engine {name!r}: 'url' must be a Docker endpoint such as tcp://host:2376."
        )
    scheme = url.partition("://")[0]
    if "://" not in url or scheme not in _SCHEMES:
        raise InvalidMessage(
            f"engine {name!r}: {redact_url(url)!r} is not a Docker endpoint "
            f"({', '.join(s + '://' for s in _SCHEMES)})."
        )
    return url.strip()


def _configured(name: str, value: Any) -> EngineSpec:
    if not _NAME_RE.match(name):
        return EngineSpec(
            name[:64] or "?",
            None,
            "config",
            problem="an engine name must be 1-64 letters, digits, '_', '.' or '-'",
        )
    try:
        if isinstance(value, str):
            return EngineSpec(name, _check_url(name, value), "config")
        if isinstance(value, list):
            value = {"url": value}
        if not isinstance(value, dict):
            raise InvalidMessage(
                f"engine {name!r}: give a URL, a list of a Swarm's managers' URLs, or "
                "{'url': …, 'tls': {…}}."
            )
        urls = value.get("url")
        if isinstance(urls, list):
            if not urls or len(urls) > 16:
                raise InvalidMessage(f"engine {name!r}: give 1 to 16 managers' URLs.")
            urls = [_check_url(name, u) for u in urls]
        else:
            urls = [_check_url(name, urls)]
        url = urls[0]
        tls = value.get("tls") or {}
        if not isinstance(tls, dict) or set(tls) - {"ca", "cert", "key", "verify"}:
            raise InvalidMessage(
                f"engine {name!r}: 'tls' takes 'ca', 'cert', 'key' (file paths) and 'verify'."
            )
        if ("cert" in tls) != ("key" in tls):
            raise InvalidMessage(f"engine {name!r}: a client 'cert' needs its 'key' (and back).")
        for key in ("ca", "cert", "key"):
            path = tls.get(key)
            if path is not None and not (isinstance(path, str) and os.path.isfile(path)):
                raise InvalidMessage(f"engine {name!r}: tls {key!r} is not a readable file.")
        if "verify" in tls and not isinstance(tls["verify"], bool):
            raise InvalidMessage(f"engine {name!r}: tls 'verify' must be true or false.")
        return EngineSpec(name, url, "config", tls=dict(tls), alternates=urls[1:])
    except InvalidMessage as exc:
        return EngineSpec(name, None, "config", problem=exc.message)


def docker_config_dir() -> str:
    """The docker CLI's configuration folder: ``$DOCKER_CONFIG``, else ``~/.docker``."""
    return os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")


def current_context_name(config_dir: str) -> str:
    """The context the docker CLI uses: ``$DOCKER_CONTEXT``, else ``default`` when
    ``DOCKER_HOST`` is set, else config.json's ``currentContext``, else ``default``."""
    if os.environ.get("DOCKER_CONTEXT"):
        return os.environ["DOCKER_CONTEXT"]
    if os.environ.get("DOCKER_HOST"):
        return "default"
    try:
        with open(os.path.join(config_dir, "config.json"), encoding="utf-8") as f:
            name = json.load(f).get("currentContext")
    except (OSError, ValueError, AttributeError):
        return "default"
    return name if isinstance(name, str) and name else "default"


def _context_tls(tls_dir: str, skip_verify: bool) -> Any:
    """A context's TLS files (``ca.pem``, ``cert.pem``, ``key.pem``) as docker-py's config."""
    if not os.path.isdir(tls_dir):
        return None
    from docker.tls import TLSConfig

    files = {name.split(".")[0]: os.path.join(tls_dir, name) for name in os.listdir(tls_dir)}
    ca, cert, key = files.get("ca"), files.get("cert"), files.get("key")
    if not (ca or (cert and key)):
        return None
    return TLSConfig(
        client_cert=(cert, key) if cert and key else None,
        ca_cert=ca,
        verify=None if skip_verify else (ca or True),
    )


def docker_contexts() -> list[EngineSpec]:
    """The docker CLI's contexts, the current one first, read where the CLI keeps them
    (``<config>/contexts/meta/*/meta.json``, TLS files in ``contexts/tls``), whether or not a
    config.json is there (docker-py looks for contexts beside that file only)."""
    config_dir = docker_config_dir()
    meta_root = os.path.join(config_dir, "contexts", "meta")
    found: list[EngineSpec] = []
    try:
        folders = sorted(os.listdir(meta_root))
    except OSError:
        folders = []
    for folder in folders:
        try:
            with open(os.path.join(meta_root, folder, "meta.json"), encoding="utf-8") as f:
                meta = json.load(f)
            name = meta["Name"]
            endpoint = (meta.get("Endpoints") or {}).get("docker") or {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # not a context the CLI could use either
        host = endpoint.get("Host") if isinstance(endpoint, dict) else None
        if not isinstance(name, str) or name == "default" or not isinstance(host, str) or not host:
            continue
        tls_dir = os.path.join(config_dir, "contexts", "tls", folder, "docker")
        tls_config = _context_tls(tls_dir, bool(endpoint.get("SkipTLSVerify")))
        found.append(EngineSpec(name, host, "context", tls_config=tls_config))
    # The CLI's "default" context is DOCKER_HOST, or the local socket: not docker-py's
    # from_env(), which goes to the *current* context (listed apart, here).
    url = None if os.environ.get("DOCKER_HOST") else DEFAULT_SOCKET
    specs = [EngineSpec("default", url, "environment"), *sorted(found, key=lambda s: s.name)]
    current = current_context_name(config_dir)
    specs.sort(key=lambda spec: spec.name != current)  # stable: the rest keep their order
    return specs


# Where Podman's API service puts its socket: rootful, and rootless under the user's runtime dir.
PODMAN_ROOTFUL_SOCKET = "/run/podman/podman.sock"


def podman_sockets() -> list[EngineSpec]:
    """Podman API sockets that are there now (``podman system service`` or the systemd socket
    unit made them): the rootful one as ``podman``, the user's as ``podman-rootless``."""
    candidates = [("podman", PODMAN_ROOTFUL_SOCKET)]
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        candidates.append(("podman-rootless", os.path.join(runtime_dir, "podman", "podman.sock")))
    found = []
    for name, path in candidates:
        try:
            is_socket = stat.S_ISSOCK(os.stat(path).st_mode)
        except OSError:
            is_socket = False
        if is_socket:
            found.append(EngineSpec(name, f"unix://{path}", "podman"))
    return found


def engine_specs(
    configured: dict[str, Any], use_contexts: bool, docker_url: str = ""
) -> list[EngineSpec]:
    """Every engine to show, the default first: ``configured`` (in order), else the
    environment's (``docker_url`` when set) named ``local``; then the CLI's contexts and the
    Podman sockets there are (an endpoint already listed is not listed twice)."""
    specs = [_configured(str(name), value) for name, value in (configured or {}).items()]
    if not specs:
        if docker_url:
            specs.append(EngineSpec("local", docker_url, "config"))
        elif not use_contexts:
            specs.append(EngineSpec("local", None, "environment"))
    if use_contexts:
        names = {s.name for s in specs}
        for spec in docker_contexts():
            if spec.name in names:
                continue
            if spec.source == "environment":
                # The environment's engine (DOCKER_HOST, else the local socket), listed already
                # by a configured URL or as the environment's own: not twice.
                here = spec.url or os.environ.get("DOCKER_HOST") or None
                if any(s.url in (None, spec.url, here) for s in specs):
                    continue
            specs.append(spec)
            names.add(spec.name)
        urls = {s.url for s in specs}
        for spec in podman_sockets():
            if spec.name not in names and spec.url not in urls:
                specs.append(spec)
                names.add(spec.name)
    if not specs:
        specs.append(EngineSpec("local", None, "environment"))
    return specs


__all__ = ["EngineSpec", "docker_contexts", "engine_specs", "podman_sockets", "redact_url"]

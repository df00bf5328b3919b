"""Which Docker engines LittleWings shows: configured ones, the environment's, the CLI's contexts.

``c.LittleWings.engines`` names engines (``{"gpu-box": {"url": "tcp://10.0.0.5:2376", "tls":
{"ca": …, "cert": …, "key": …}}}``); with ``use_docker_contexts`` the docker CLI's contexts
(``~/.docker/contexts``, read with docker-py's ``ContextAPI``) come too, the current one first.
Nothing here contacts an engine.
"""

from __future__ import annotations

import os
import re
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

    def describe(self) -> dict[str, Any]:
        """What the browser may know of it: no key, no certificate, no password."""
        return {
            "name": self.name,
            "url": self.display_url,
            "source": self.source,
            "tls": self.uses_tls,
        }


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
        if not isinstance(value, dict):
            raise InvalidMessage(f"engine {name!r}: give a URL or {{'url': …, 'tls': {{…}}}}.")
        url = _check_url(name, value.get("url"))
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
        return EngineSpec(name, url, "config", tls=dict(tls))
    except InvalidMessage as exc:
        return EngineSpec(name, None, "config", problem=exc.message)


def docker_contexts() -> list[EngineSpec]:
    """The docker CLI's contexts, the current one first (none when docker-py cannot read them)."""
    try:
        from docker.context import ContextAPI

        current = ContextAPI.get_current_context()
        contexts = ContextAPI.contexts()
    except Exception:
        return []
    specs = []
    for context in sorted(contexts, key=lambda c: c.Name != current.Name):
        if context.Name == "default":
            # The CLI's "default" context is DOCKER_HOST, or the local socket: not docker-py's
            # from_env(), which goes to the *current* context (listed apart, here).
            url = None if os.environ.get("DOCKER_HOST") else DEFAULT_SOCKET
            specs.append(EngineSpec("default", url, "environment"))
            continue
        host = context.Host
        if not host:
            continue
        tls_config = context.TLSConfig if getattr(context, "TLSConfig", None) else None
        specs.append(EngineSpec(context.Name, host, "context", tls_config=tls_config))
    return specs


def engine_specs(
    configured: dict[str, Any], use_contexts: bool, docker_url: str = ""
) -> list[EngineSpec]:
    """Every engine to show, the default first: ``configured`` (in order), else the
    environment's (``docker_url`` when set) named ``local``; then the CLI's contexts."""
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
            if spec.source == "environment" and any(s.url in (None, spec.url) for s in specs):
                continue
            specs.append(spec)
            names.add(spec.name)
    if not specs:
        specs.append(EngineSpec("local", None, "environment"))
    return specs


__all__ = ["EngineSpec", "docker_contexts", "engine_specs", "redact_url"]

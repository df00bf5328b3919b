"""The engines of a server or of a kernel's :class:`~littlewings_jupyter.kernel.client.Client`,
by name: one registry that both use.

The server builds it from ``c.LittleWings.engines``, the docker CLI's contexts and the
environment; a kernel's Client from its arguments. The session manager of either (the server's,
or the one a Client's widgets run on) reads its engines from here, so the Client's calls and its
widgets use the same Docker connections and the same stdin attachments (which must outlive any
one widget).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from ..docker.engine import DockerEngine
from ..docker.engines import EngineSpec, redact_url
from ..errors import EngineNotFound
from ..streams.stdin import StdinWriters


class EngineRegistry:
    """Docker engines by name, the default one first, with what configured each."""

    def __init__(self, engines: Iterable[tuple[DockerEngine, EngineSpec | None]]) -> None:
        self._engines: dict[str, DockerEngine] = {}
        self._specs: dict[str, EngineSpec | None] = {}
        for engine, spec in engines:
            if engine.name not in self._engines:
                self._engines[engine.name] = engine
                self._specs[engine.name] = spec
        if not self._engines:
            raise ValueError("An engine registry needs at least one engine.")
        self.default: DockerEngine = next(iter(self._engines.values()))
        self._stdin: dict[str, StdinWriters] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_specs(cls, specs: Iterable[EngineSpec], **options: Any) -> EngineRegistry:
        """One engine per spec (``options`` as :meth:`DockerEngine.from_spec` takes them)."""
        return cls((DockerEngine.from_spec(spec, **options), spec) for spec in specs)

    def __iter__(self) -> Iterator[DockerEngine]:
        return iter(list(self._engines.values()))

    def __len__(self) -> int:
        return len(self._engines)

    @property
    def names(self) -> list[str]:
        """The engines' names, the default first."""
        return list(self._engines)

    def engine(self, name: str | None = None) -> DockerEngine:
        """The engine called ``name`` (the default one for None or "")."""
        if not name:
            return self.default
        engine = self._engines.get(name)
        if engine is None:
            raise EngineNotFound(
                f"No Docker engine {name[:64]!r} here; the engines are: {', '.join(self._engines)}."
            )
        return engine

    def spec(self, name: str) -> EngineSpec | None:
        """What configured the engine called ``name`` (None for an engine given as is)."""
        return self._specs.get(name)

    def describe(self, name: str) -> dict[str, Any]:
        """The engine as the browser may see it: name, url (no password), source, tls."""
        spec = self._specs.get(name)
        if spec is not None:
            described = dict(spec.describe())
            if spec.alternates:  # several managers: the one read now
                described["url"] = redact_url(self.engine(name).base_url or "")
            return described
        engine = self.engine(name)
        url = redact_url(engine.base_url) if engine.base_url else "(environment)"
        return {"name": name, "url": url, "source": "environment", "tls": False}

    def stdin(self, name: str | None = None) -> StdinWriters:
        """The stdin attachments of an engine's containers (made on first use)."""
        engine = self.engine(name)
        with self._lock:
            writers = self._stdin.get(engine.name)
            if writers is None:
                writers = self._stdin[engine.name] = StdinWriters(engine)
            return writers

    def close(self) -> None:
        """Close every stdin attachment and let go of the Docker connections."""
        with self._lock:
            writers, self._stdin = list(self._stdin.values()), {}
        for one in writers:
            one.close()
        for engine in self._engines.values():
            engine.reset()


__all__ = ["EngineRegistry"]

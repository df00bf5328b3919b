"""Docker's container event stream for the whole engine, handed to the loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable

from ..docker.engine import DockerEngine
from ..errors import LittleWingsError
from .base import JSONLinesThread


class EventWatcher(JSONLinesThread):
    """Docker's container event stream for the whole engine, handed to the IOLoop."""

    name = "littlewings-events"

    def __init__(
        self,
        engine: DockerEngine,
        loop: asyncio.AbstractEventLoop,
        on_event: Callable[[dict[str, Any]], None],
        on_engine: Callable[[bool], None],
    ) -> None:
        super().__init__()
        self.engine = engine
        self.loop = loop
        self.on_event = on_event
        self.on_engine = on_engine
        self.connected = threading.Event()
        self.last_error: str | None = None  # why the engine did not answer, last time

    def _handle(self, event: dict[str, Any]) -> None:
        try:
            self.loop.call_soon_threadsafe(self.on_event, event)
        except RuntimeError:
            self._stop.set()

    def run(self) -> None:
        backoff = 0.5
        while not self.stopped:
            try:
                stream = self.engine.open_events()
            except LittleWingsError as exc:
                self.last_error = exc.message
                self.connected.clear()
                self.on_engine(False)
                self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not self._set_stream(stream):
                return
            backoff = 0.5
            self.last_error = None
            self.connected.set()
            self.on_engine(True)
            self._read_json(stream, self._handle)
            self._set_stream(None)
            stream.close()
            self.connected.clear()
            if not self.stopped:
                # The stream only ends when the engine goes away (or restarts).
                self.last_error = "the engine closed its event stream"
                self.engine.reset()
                self.on_engine(False)
                self._sleep(backoff)

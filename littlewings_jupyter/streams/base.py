"""Long-lived Docker streams, each read in a daemon thread of its own, stopped from any thread."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any, Callable

from ..docker.framing import DockerStream

log = logging.getLogger("littlewings")


class StreamThread:
    """A daemon thread around a closable Docker stream, stopped by :meth:`stop` from any thread."""

    name = "littlewings-stream"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._stream: DockerStream | None = None
        self._stream_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start reading in a thread of its own."""
        self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            self.run()
        except Exception:
            if not self._stop.is_set():
                log.exception("LittleWings: %s crashed", self.name)

    def run(self) -> None:
        """The thread's work; subclasses read streams and check :attr:`stopped`."""
        raise NotImplementedError

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stop.is_set()

    def _set_stream(self, stream: DockerStream | None) -> bool:
        """Remember the open stream so :meth:`stop` can close it; False if already stopped."""
        with self._stream_lock:
            if stream is not None and self._stop.is_set():
                stream.close()
                return False
            self._stream = stream
            return True

    def wake(self) -> None:
        """Cut a wait short (e.g. the container started again)."""
        self._wake.set()

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def stop(self) -> None:
        """Close the stream and end the thread (does not wait for it)."""
        self._stop.set()
        self._wake.set()
        with self._stream_lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def join(self, timeout: float = 5) -> bool:
        """Wait for the thread to end; whether it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        """Whether the thread still runs."""
        return self._thread is not None and self._thread.is_alive()


def iter_json_documents(stream: DockerStream) -> Iterator[dict[str, Any]]:
    """The JSON documents of a stream that carries one a line (stats, events); skips others."""
    rest = b""
    for block in stream:
        rest += block
        *docs, rest = rest.split(b"\n")
        for doc in docs:
            if doc.strip():
                try:
                    value = json.loads(doc)
                except ValueError:
                    log.debug("LittleWings: skipped a stream line that is not JSON")
                    continue
                yield value


class JSONLinesThread(StreamThread):
    """A stream thread whose stream is one JSON document a line (stats, events)."""

    def _read_json(self, stream: DockerStream, handle: Callable[[dict[str, Any]], None]) -> None:
        for doc in iter_json_documents(stream):
            handle(doc)

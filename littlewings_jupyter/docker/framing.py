"""Docker's HTTP streams: read in large blocks, de-chunked, demultiplexed, closable."""

from __future__ import annotations

import codecs
import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any, Callable

from ..parsing.lines import STDERR, STDOUT


class Dechunker:
    """Undoes HTTP/1.1 chunked transfer encoding over whole blocks at a time.

    Docker sends every log message as a chunk of its own; read through http.client, that is one
    read call per line. Reading the socket's buffer in large blocks and de-chunking here is what
    lets the relay keep up with the engine.
    """

    def __init__(self) -> None:
        self.left = 0  # bytes of the current chunk's data still to come
        self.crlf = 0  # bytes of the CRLF after a chunk's data still to skip
        self.pending = b""  # an unfinished chunk-size line
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """The payload bytes in ``data`` (chunk framing removed)."""
        if self.pending:
            data, self.pending = self.pending + data, b""
        out = []
        pos, end = 0, len(data)
        while pos < end and not self.done:
            if self.left:
                take = min(self.left, end - pos)
                out.append(data[pos : pos + take])
                pos += take
                self.left -= take
                if not self.left:
                    self.crlf = 2
            elif self.crlf:
                skip = min(self.crlf, end - pos)
                pos += skip
                self.crlf -= skip
            else:
                newline = data.find(b"\r\n", pos)
                if newline < 0:
                    self.pending = data[pos:]
                    break
                head = data[pos:newline]
                size = int((head.split(b";", 1)[0] if b";" in head else head) or b"0", 16)
                pos = newline + 2
                if size == 0:
                    self.done = True
                elif pos + size + 2 <= end:
                    # The whole chunk and its CRLF are here (the usual case): in one step.
                    out.append(data[pos : pos + size])
                    pos += size + 2
                else:
                    self.left = size
        return b"".join(out)


class DockerStream:
    """A streaming Docker HTTP response, read in large blocks and closable from any thread."""

    def __init__(self, response: Any, raw_socket: Any = None) -> None:
        self._response = response
        self._socket = raw_socket
        self._closed = False
        self._lock = threading.Lock()
        self._buffered: Any = None
        self._dechunker: Dechunker | None = None
        if raw_socket is None:
            # A chunked answer that http.client has not started reading: take over its
            # buffered socket file and de-chunk in bulk.
            fp: Any = getattr(getattr(response, "raw", None), "_fp", None)
            if getattr(fp, "chunked", False) and fp.chunk_left is None and hasattr(fp, "fp"):
                self._buffered = fp.fp
                self._dechunker = Dechunker()

    def read(self, size: int = 256 * 1024) -> bytes:
        """Up to ``size`` bytes as soon as any are there; ``b""`` at the end of the stream."""
        if self._closed:
            return b""
        try:
            if self._socket is not None:
                return self._socket.recv(size)
            if self._dechunker is not None:
                while not self._dechunker.done:
                    block = self._buffered.read1(size)
                    if not block:
                        return b""
                    data = self._dechunker.feed(block)
                    if data:
                        return data
                return b""
            return self._response.raw.read1(size)
        except (OSError, ValueError, AttributeError):
            return b""
        except Exception as exc:  # urllib3's ProtocolError when the engine goes away
            if self._closed or exc.__class__.__name__ in ("ProtocolError", "IncompleteRead"):
                return b""
            raise

    def __iter__(self) -> Iterator[bytes]:
        while True:
            block = self.read()
            if not block:
                return
            yield block

    def close(self) -> None:
        """End the stream; a reader blocked in :meth:`read` wakes up with ``b""``."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        sock = self._socket or response_socket(self._response)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        try:
            if self._socket is not None:
                self._socket.close()
            self._response.close()
        except Exception:
            pass

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed


def response_socket(response: Any) -> socket.socket | None:
    """The socket under a streaming response (found as docker-py's CancellableStream does)."""
    try:
        raw = response.raw._fp.fp.raw
    except AttributeError:
        return None
    for name in ("sock", "_sock"):
        sock = getattr(raw, name, None)
        if sock is not None:
            return getattr(sock, "_sock", sock) if not isinstance(sock, socket.socket) else sock
    return raw if isinstance(raw, socket.socket) else None


class FrameDemuxer:
    """Splits Docker's multiplexed stream (8-byte headers) into ``(stream, payload)`` frames."""

    def __init__(self, tty: bool = False) -> None:
        self.tty = tty
        self._buffer = b""

    def feed(self, block: bytes) -> list[tuple[int, bytes]]:
        """Frames completed by ``block``, in order."""
        if self.tty:
            return [(STDOUT, block)] if block else []
        data = self._buffer + block if self._buffer else block
        frames: list[tuple[int, bytes]] = []
        pos, end = 0, len(data)
        unpack = struct.unpack_from
        while end - pos >= 8:
            kind, length = unpack(">BxxxL", data, pos)
            if end - pos - 8 < length:
                break
            frames.append((STDERR if kind == 2 else STDOUT, data[pos + 8 : pos + 8 + length]))
            pos += 8 + length
        self._buffer = data[pos:]
        return frames


def read_exec_output(
    stream: DockerStream,
    on_output: Callable[[int, str], None],
    timeout: float | None = None,
) -> bool:
    """Read an exec's multiplexed output to its end, in the calling thread.

    ``on_output(stream, text)`` gets each decoded piece (``STDOUT``/``STDERR``; a UTF-8
    character split between frames is never broken). Returns True when ``timeout`` seconds
    passed first (the stream is then closed; the process may still run in the container).
    """
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        stream.close()

    timer = threading.Timer(timeout, expire) if timeout is not None else None
    demuxer = FrameDemuxer(tty=False)
    decoders = {kind: codecs.getincrementaldecoder("utf-8")("replace") for kind in (1, 2)}
    try:
        if timer is not None:
            timer.daemon = True
            timer.start()
        for block in stream:
            for kind, payload in demuxer.feed(block):
                text = decoders[kind].decode(payload)
                if text:
                    on_output(kind, text)
    finally:
        if timer is not None:
            timer.cancel()
            timer.join()  # no timer thread outlives the command
        stream.close()
    for kind, decoder in decoders.items():
        text = decoder.decode(b"", final=True)
        if text:
            on_output(kind, text)
    return timed_out.is_set()

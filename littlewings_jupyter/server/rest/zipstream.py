"""A zip archive written as it is sent: one file a member, compressed as its lines are read.

``zipfile`` writes to a stream it cannot seek in with a data descriptor after each file (sizes
and CRC come after the data), so nothing of the archive has to be kept: each piece goes to the
client as soon as the compressor gives it out, and memory stays flat in the size of the logs.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Generator, Iterable, Iterator


class _Drain(io.RawIOBase):
    """Where ``zipfile`` writes: the bytes since the last :meth:`take`, and how many in all."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0
        self.pending = 0  # bytes written since the last take

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        self._written += len(data)
        self.pending += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts, self.pending = [], 0
        return data


def zip_chunks(
    files: Iterable[tuple[str, Iterator[bytes]]], min_chunk: int = 64 * 1024
) -> Generator[bytes, None, None]:
    """The bytes of a zip of ``files`` (name, its content in pieces), in chunks of at least
    ``min_chunk`` bytes (but the last), as they are made."""
    drain = _Drain()
    with zipfile.ZipFile(drain, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, pieces in files:
            # (force_zip64: a log's size is not known before it is read, and may pass 2 GiB.)
            with archive.open(name, "w", force_zip64=True) as out:
                for piece in pieces:
                    out.write(piece)
                    if drain.pending >= min_chunk:
                        yield drain.take()
    rest = drain.take()
    if rest:
        yield rest


__all__ = ["zip_chunks"]

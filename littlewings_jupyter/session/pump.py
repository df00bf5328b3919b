"""The one loop that moves a long read from Docker to a client: history, merged history, search
results and REST downloads all go through :func:`pump`.

Docker is read on a worker thread (a blocking generator), one item ahead of the client: the next
batch is read while this one is encoded and sent. The client sets the pace: ``deliver`` returns
only when there is room for more (a session's queue under half full, a flushed HTTP response), so
a long history never sits whole in memory, and it returns False when nobody wants the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

T = TypeVar("T")

# How a pump reaches a worker thread: SessionManager.run (the server's and the kernel's pool).
Run = Callable[..., Awaitable[Any]]


async def pump(
    run: Run,
    source: Generator[T, None, None],
    deliver: Callable[[T], Awaitable[bool]],
) -> bool:
    """Give each item of ``source`` to ``deliver`` as it is read; True when the source ended,
    False when ``deliver`` said to stop. The source is closed (on a worker) either way."""
    ahead = asyncio.ensure_future(run(next, source, None))
    try:
        while True:
            item = await ahead
            if item is None:
                return True
            ahead = asyncio.ensure_future(run(next, source, None))
            if not await deliver(item):
                return False
    finally:
        # A generator cannot be closed while a worker is still inside it.
        with contextlib.suppress(Exception):
            await ahead
        await run(source.close)


__all__ = ["Run", "pump"]

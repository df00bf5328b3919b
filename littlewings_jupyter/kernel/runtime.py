"""The session core in a kernel: the server's session manager, on an event loop of its own.

A notebook widget cannot use the kernel's main thread (it runs the user's cells), so each
:class:`~littlewings_jupyter.kernel.client.Client` that has widgets starts one
:class:`KernelRuntime`: a thread running an asyncio loop with a
:class:`~littlewings_jupyter.session.manager.SessionManager`. Every widget view is a session of
it, exactly like a WebSocket of the server; lines keep flowing while cells run.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, Callable, TypeVar

from ..session.engines import EngineRegistry
from ..session.limits import Limits
from ..session.manager import SessionManager

T = TypeVar("T")

THREAD_NAME = "littlewings-kernel"


class KernelRuntime:
    """A :class:`SessionManager` on a private event loop thread (one per client with widgets)."""

    def __init__(self, engines: EngineRegistry, limits: Limits, max_workers: int = 8) -> None:
        self.loop = asyncio.new_event_loop()
        # The Client's engines (its calls and its widgets share connections and stdin).
        self.manager = SessionManager(
            engines, limits, max_workers=max_workers, loop=self.loop, owns_engines=False
        )
        self.cell_running = False
        self._unregister: Callable[[], None] | None = None
        self._thread = threading.Thread(target=self._main, name=THREAD_NAME, daemon=True)
        self._thread.start()
        self._watch_cells()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def _watch_cells(self) -> None:
        """Know when a cell runs: the kernel then answers no widget message (no heartbeat)."""
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:
            shell = None
        if shell is None or not hasattr(shell, "events"):
            return

        def pre(*_args: Any) -> None:
            self.cell_running = True

        def post(*_args: Any) -> None:
            self.cell_running = False

        shell.events.register("pre_run_cell", pre)
        shell.events.register("post_run_cell", post)
        # Made from a cell, which is running now: its post_run_cell clears this.
        self.cell_running = True

        def unregister() -> None:
            with contextlib.suppress(ValueError):
                shell.events.unregister("pre_run_cell", pre)
                shell.events.unregister("post_run_cell", post)

        self._unregister = unregister

    @property
    def in_loop(self) -> bool:
        """Whether the caller runs on the runtime's loop thread."""
        return threading.current_thread() is self._thread

    @property
    def alive(self) -> bool:
        """Whether the loop thread still runs."""
        return self._thread.is_alive()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Run a coroutine on the loop; its concurrent future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` on the loop, soon (from any thread)."""
        with contextlib.suppress(RuntimeError):  # the loop is closed
            self.loop.call_soon_threadsafe(fn, *args)

    def close(self, timeout: float = 10) -> None:
        """Close every session, Docker stream and thread of the manager, then end the loop."""
        if not self.alive:
            return
        if self._unregister is not None:
            self._unregister()
        with contextlib.suppress(Exception):
            self.submit(self.manager.close()).result(timeout)
        self.call(self.loop.stop)
        if not self.in_loop:
            self._thread.join(timeout)


class KernelConnection:
    """A session of the runtime, as the session core sees its connection: the one adapter of
    every reader in the kernel (a widget's views and its own session, a group's follow, an
    alert subscription).

    Frames go to ``on_frame`` (the frame's JSON text), a close to ``on_close``. The kernel's
    user owns the kernel, so every action is authorized (only the client's ``read_only``
    limits them). ``holds_activity`` says the session is not idle although it sends no
    heartbeats: always, or while ``holds_activity()`` is true (a view, while a cell runs and
    the kernel hears nothing).
    """

    def __init__(
        self,
        on_frame: Callable[[str], Any],
        on_close: Callable[[int | None, str | None], Any] | None = None,
        holds_activity: bool | Callable[[], bool] = True,
        user_name: str | None = None,
    ) -> None:
        self._on_frame = on_frame
        self._on_close = on_close
        self._holds_activity = holds_activity
        self.user_name = user_name or kernel_user()

    @property
    def holds_activity(self) -> bool:
        """Whether the session's silence is not idleness."""
        held = self._holds_activity
        return bool(held() if callable(held) else held)

    async def write_message(self, message: str) -> None:
        """One frame of the session."""
        self._on_frame(message)

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """The session ends the connection (idle timeout, the runtime stopping)."""
        if self._on_close is not None:
            self._on_close(code, reason)

    async def is_authorized(self, action: str) -> bool:
        """The kernel's user owns the kernel."""
        return True


def kernel_user() -> str:
    """Who runs this kernel (the user widgets and containers are recorded for)."""
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "kernel"


__all__ = ["THREAD_NAME", "KernelConnection", "KernelRuntime", "kernel_user"]

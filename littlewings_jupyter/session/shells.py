"""Interactive shells of client sessions: their output pump, and reattaching after a drop.

A shell belongs to the session that opened it until that session's socket goes. Then it is
*detached*: it keeps running, its output waits (bounded, the program blocks on its terminal past
that), and a new session of the same user may take it back with ``shell_attach`` within
``shell_reattach_timeout`` seconds — as a terminal of Jupyter's own survives a page reload. After
that the shell is hung up.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import re
import secrets
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from ..docker.models import ContainerRef
from ..docker.processes import ShellProcess
from ..errors import LittleWingsError
from . import protocol
from .frames import footprint

if TYPE_CHECKING:
    from .interfaces import ClientSessionLike, SessionManagerLike

log = logging.getLogger("littlewings")

# Terminal output waiting for a slow client (or for a detached shell's next client): past this,
# the shell's output is read no further — the process blocks on its TTY, as in a real terminal —
# so memory stays bounded and a Ctrl-C is not stuck behind megabytes of old output.
MAX_SHELL_BACKLOG = 256 * 1024

# With flow control, output sent that the client has not said it showed (in characters): a
# terminal emulator draws slower than a program like `yes` writes, and what it has not drawn
# waits in the browser's memory and in front of the prompt a Ctrl-C brings back.
FLOW_WINDOW = 128 * 1024

# One read of the terminal: large, so a flood costs few frames.
READ_SIZE = 256 * 1024

# The least time between two output frames of a shell: a key's echo after a pause goes at once,
# a flood in frames of 2 ms of output (a TTY gives about 1 KiB a read; a frame each is slow).
FRAME_GAP = 0.002

# The longest line of typed input one audit entry keeps (audit_shell_input).
MAX_AUDITED_INPUT = 4096


def new_shell_id() -> str:
    """An id no other client can guess: it is what reattaches a shell."""
    return "sh-" + secrets.token_urlsafe(12)


# DEC private modes a terminal keeps that a new terminal (a page reloaded, a socket taken back)
# must be told again: application cursor keys, cursor shown, the alternate screen (47, 1047,
# 1049: vi, top, less), mouse reporting, bracketed paste.
KEPT_MODES = (1, 25, 47, 1000, 1002, 1003, 1006, 1047, 1049, 2004)
_MODE_RE = re.compile(r"\x1b\[\?([\d;]+)([hl])")


class TerminalModes:
    """The DEC private modes a program set on its terminal, read from its output."""

    def __init__(self) -> None:
        self.modes: dict[int, bool] = {}
        self._tail = ""  # a sequence cut between two pieces of output

    def feed(self, text: str) -> None:
        """Read the modes a piece of output sets or resets."""
        text = self._tail + text
        cut = text.rfind("\x1b")
        self._tail = text[cut:] if cut >= 0 and len(text) - cut < 24 else ""
        if "\x1b[?" not in text:
            return
        for found in _MODE_RE.finditer(text):
            on = found.group(2) == "h"
            for number in found.group(1).split(";"):
                if number.isdigit() and int(number) in KEPT_MODES:
                    self.modes[int(number)] = on

    def replay(self) -> str:
        """The sequences that put a new terminal in these modes (the alternate screen first)."""
        order = sorted(self.modes, key=lambda m: m not in (47, 1047, 1049))
        return "".join(f"\x1b[?{m}{'h' if self.modes[m] else 'l'}" for m in order)


class ShellRun:
    """One shell: its TTY process, who owns it, and where its output goes."""

    def __init__(
        self,
        manager: SessionManagerLike,
        session: ClientSessionLike,
        process: ShellProcess,
        container: ContainerRef,
        request_id: Any,
        audit_entry: str | None,
    ) -> None:
        self.manager = manager
        self.session: ClientSessionLike | None = session
        self.process = process
        self.container = container
        self.request_id = request_id
        self.audit_entry = audit_entry
        self.id = new_shell_id()
        self.user = session.user_name
        self.owner = session.principal  # who may reattach it
        self.audit_input = session.limits.audit_shell_input
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.closed_by_client = False
        self.ended = False
        self.modes = TerminalModes()
        self.modes_at_detach = ""
        # While detached: the output frames for the next client, and how the shell ended.
        self.pending: deque[str] = deque()
        self.pending_bytes = 0
        self.pending_chars = 0
        # Flow control (the client acknowledges what it showed: shell_ack).
        self.flow_control = False
        self.unacked = 0
        self.exit_frame: dict[str, Any] | None = None
        self.detached_at: float | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self._typed: list[str] = []
        # Output the reader thread handed over, not yet framed (see pump).
        self._chunks: deque[str] = deque()
        self._unsent = 0
        self._flush_scheduled = False
        self._last_flush = 0.0

    # -- output -----------------------------------------------------------------------------

    def backlog(self) -> int:
        """Output not yet written to a client (read from the pump's thread: a rough figure)."""
        session = self.session
        if session is None or session.closed:
            return self.pending_bytes
        return session.outbox_bytes

    def must_wait(self) -> bool:
        """Whether the pump should stop reading the terminal for now (its client lags)."""
        if self.backlog() + self._unsent > MAX_SHELL_BACKLOG:
            return True
        # What was read and not sent yet counts too: a loop slow to flush (a loaded machine)
        # must not let the reader run a whole backlog ahead of the window.
        return (
            self.flow_control
            and self.session is not None
            and self.unacked + self._unsent > FLOW_WINDOW
        )

    def acknowledge(self, chars: int) -> None:
        """The client showed ``chars`` more characters of output."""
        self.unacked = max(0, self.unacked - chars)

    def _schedule_flush(self) -> None:
        """On the loop: flush now, or — a frame went out under FRAME_GAP ago — a moment later,
        so a flood goes in frames of that many milliseconds, not of each 1 KiB read."""
        wait = self._last_flush + FRAME_GAP - time.monotonic()
        if wait > 0:
            self.manager.loop.call_later(wait, self._flush)
        else:
            self._flush()

    def _flush(self) -> None:
        """On the loop: what the reader queued since the last flush, as one frame."""
        self._flush_scheduled = False
        self._last_flush = time.monotonic()
        chunks = []
        while self._chunks:
            chunks.append(self._chunks.popleft())
        if chunks:
            text = "".join(chunks)
            self._unsent -= len(text)
            self._emit(text)

    def _emit(self, text: str) -> None:
        self.modes.feed(text)
        frame = protocol.encode(protocol.reply("shell_output", shell=self.id, data=text))
        session = self.session
        if session is not None and not session.closed:
            self.unacked += len(text)
            session.send_text(frame)
        else:
            self.pending.append(frame)
            self.pending_bytes += footprint(frame)
            self.pending_chars += len(text)

    async def pump(self) -> None:
        """Terminal output to the client until the shell ends; then its exit frame."""
        manager = self.manager
        loop = manager.loop
        process = self.process

        def emit(text: str) -> None:
            # A TTY gives about 1 KiB a read: what the reader gets while the loop is busy is
            # joined into one frame (few frames under a flood, no delay for a key's echo).
            self._unsent += len(text)
            self._chunks.append(text)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                with contextlib.suppress(RuntimeError):  # the loop is gone: the server stopped
                    loop.call_soon_threadsafe(self._schedule_flush)

        def read_all() -> None:
            while True:
                while self.must_wait() and not process.closed:
                    time.sleep(0.002)  # nobody reads fast enough: let the TTY fill up
                data = process.read(READ_SIZE)
                if not data:
                    break
                text = self.decoder.decode(data)
                if text:
                    emit(text)
            text = self.decoder.decode(b"", final=True)
            if text:
                emit(text)

        try:
            await manager.run_reader(read_all)
            self._flush()
            exit_code = None if self.closed_by_client else await manager.run(process.exit_code)
        except LittleWingsError:
            exit_code = None
        finally:
            process.close()
        self.ended = True
        self._audit_typed(flush=True)
        # The entry's start and finish times give the shell's duration.
        manager.actions.audit_finish(self.audit_entry, "ok", exit_code=exit_code)
        self.exit_frame = protocol.reply(
            "shell_exit",
            shell=self.id,
            exit_code=exit_code,
            reason="closed" if self.closed_by_client else "exited",
            duration_ms=round(process.duration * 1000),
        )
        session = self.session
        if session is not None:
            session.shells.pop(self.id, None)
            if not session.closed:
                session.send(self.exit_frame)
                manager.detached_shells.pop(self.id, None)
        # A detached shell that ended waits (with its exit frame) for its client until expiry.

    # -- input ------------------------------------------------------------------------------

    def write(self, data: str) -> None:
        """Type ``data`` (blocking: a worker thread calls it)."""
        self.process.write(data.encode("utf-8"))

    def record_input(self, data: str) -> None:
        """Keep typed input for the audit trail, a line an entry (only with audit_shell_input)."""
        if self.audit_input:
            self._typed.append(data)
            self._audit_typed()

    def _audit_typed(self, flush: bool = False) -> None:
        if not self._typed:
            return
        text = "".join(self._typed)
        *lines, rest = text.replace("\r\n", "\r").replace("\n", "\r").split("\r")
        self._typed = [rest] if rest else []
        if rest and (flush or len(rest) > MAX_AUDITED_INPUT):
            lines.append(rest)
            self._typed = []
        for line in lines:
            self.manager.actions.audit_record(
                self.user,
                self.container,
                "shell_input",
                _printable(line)[:MAX_AUDITED_INPUT],
                via=self.id,
            )

    # -- owners -----------------------------------------------------------------------------

    def close(self) -> None:
        """Hang up: the shell gets SIGHUP (Docker has no call to stop an exec)."""
        self.closed_by_client = True
        self.process.close()

    def detach(self, grace: float) -> None:
        """The session went: keep the shell for ``grace`` seconds, then hang it up."""
        self.session = None
        self.modes_at_detach = self.modes.replay()
        self.detached_at = time.monotonic()
        self.manager.detached_shells[self.id] = self
        self._expiry = self.manager.loop.call_later(grace, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        if self.session is not None:
            return
        self.manager.detached_shells.pop(self.id, None)
        if not self.ended:
            log.info("LittleWings: shell %s not reattached in time: hung up", self.id)
            self.close()

    def attach(self, session: ClientSessionLike, flow_control: bool) -> None:
        """Give the shell to ``session``: what it wrote meanwhile goes out first."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        self.manager.detached_shells.pop(self.id, None)
        self.session = session
        self.detached_at = None
        self.flow_control = flow_control
        self.unacked = self.pending_chars
        pending, self.pending, self.pending_bytes, self.pending_chars = self.pending, deque(), 0, 0
        if self.modes_at_detach:
            # The new terminal in the modes the old one was in when it went (then what came
            # meanwhile changes them as it did).
            session.send(protocol.reply("shell_output", shell=self.id, data=self.modes_at_detach))
            self.unacked += len(self.modes_at_detach)
        for frame in pending:
            session.send_text(frame)
        if self.ended:
            if self.exit_frame is not None:
                session.send(self.exit_frame)
        else:
            session.shells[self.id] = self

    def opened_frame(self, kind: str, request_id: Any) -> dict[str, Any]:
        """``shell_opened`` or ``shell_attached``: the shell's id, command and size."""
        return protocol.reply(
            kind,
            request_id,
            shell=self.id,
            command=self.process.argv,
            rows=self.process.rows,
            cols=self.process.cols,
            container=self.container.id,
            server_id=self.container.name,
        )


def _printable(text: str) -> str:
    """Typed keys as a reader of the audit trail can read them (control keys escaped)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


__all__ = ["MAX_SHELL_BACKLOG", "ShellRun", "new_shell_id"]

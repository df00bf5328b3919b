"""What running a program in a container from a notebook gives back: a command's
:class:`ExecResult`, an interactive :class:`Shell`."""

from __future__ import annotations

import codecs
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ..docker.processes import ShellProcess
from ..errors import CommandFailed
from .interfaces import ContainerLike


@dataclass
class ExecResult:
    """What a command run with :meth:`Container.exec` gave: exit code, stdout and stderr apart."""

    command: list[str]
    exit_code: int | None
    stdout: str
    stderr: str
    duration: float = 0.0
    timed_out: bool = False
    container: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        """Whether the command exited with code 0."""
        return self.exit_code == 0 and not self.timed_out

    def check(self) -> ExecResult:
        """Raise :class:`~littlewings_jupyter.errors.CommandFailed` unless :attr:`ok`; else self."""
        if self.ok:
            return self
        shell = self.command[:2] == ["/bin/sh", "-c"] and len(self.command) == 3
        shown = self.command[2] if shell else " ".join(self.command)
        if self.timed_out:
            what = f"did not finish in {self.duration:.1f} s"
        elif self.exit_code is None:
            what = "ended without an exit code"
        else:
            what = f"exited with code {self.exit_code}"
        detail = self.stderr.strip()[-500:]
        message = f"Command {shown!r} in {self.container!r} {what}"
        raise CommandFailed(
            message + (f": {detail}" if detail else "."),
            exit_code=self.exit_code,
            stdout=self.stdout,
            stderr=self.stderr,
        )

    def __repr__(self) -> str:
        def short(text: str) -> str:
            return repr(text if len(text) <= 200 else text[:200] + "…")

        timed_out = ", timed_out=True" if self.timed_out else ""
        return (
            f"ExecResult(exit_code={self.exit_code}, stdout={short(self.stdout)}, "
            f"stderr={short(self.stderr)}{timed_out})"
        )


class Shell:
    """An interactive shell in a container (``docker exec -it``), pexpect-style.

    Made by :meth:`Container.shell`. :meth:`send` types, :meth:`read` returns what the terminal
    showed, :meth:`expect` waits for a pattern; :meth:`resize`, :meth:`close`. Output is text
    (UTF-8, never a character cut in two) with the terminal's own escape sequences and CRLF.
    A context manager: ``with c.shell() as sh: ...`` closes it.
    """

    def __init__(self, container: ContainerLike, process: ShellProcess) -> None:
        self.container = container
        self.process = process
        self.buffer = ""  # what was read but not yet matched by expect()
        self.exit_code: int | None = None
        self.ended = False
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def send(self, text: str) -> None:
        """Type ``text`` (add ``"\\n"`` for Enter, ``"\\x03"`` is Ctrl-C, ``"\\x04"`` Ctrl-D)."""
        self.process.write(text.encode("utf-8"))

    def sendline(self, text: str = "") -> None:
        """Type ``text`` and Enter."""
        self.send(text + "\n")

    def _fill(self, timeout: float | None) -> bool:
        """Read once more into the buffer; False when nothing came in time or the shell ended."""
        if self.ended:
            return False
        data = self.process.read(timeout=timeout)
        if data is None:
            return False
        if not data:
            self.ended = True
            self.buffer += self._decoder.decode(b"", final=True)
            self.exit_code = self.process.exit_code()
            self.process.close()
            return False
        self.buffer += self._decoder.decode(data)
        return True

    def read(self, timeout: float = 1.0) -> str:
        """What the terminal showed until ``timeout`` seconds pass with nothing new."""
        while self._fill(timeout):
            pass
        text, self.buffer = self.buffer, ""
        return text

    def expect(self, pattern: str | re.Pattern[str], timeout: float = 30) -> re.Match[str]:
        """Wait until the output matches ``pattern`` (a regex); the match. What came before and
        the match itself are consumed; raises TimeoutError (with what came) when it does not."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.buffer)
            if match:
                self.buffer = self.buffer[match.end() :]
                return match
            left = deadline - time.monotonic()
            if left <= 0 or (not self._fill(left) and self.ended):
                raise TimeoutError(
                    f"{regex.pattern!r} did not appear in the shell of {self.container.name!r}"
                    f" (ended: {self.ended}); it showed: {self.buffer[-500:]!r}"
                )

    def resize(self, rows: int, cols: int) -> None:
        """Give the terminal a new size."""
        self.process.resize(rows, cols)

    def close(self) -> int | None:
        """Hang up (the shell gets SIGHUP); its exit code if it had already ended."""
        self.process.close()
        return self.exit_code

    def __enter__(self) -> Shell:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"ended ({self.exit_code})" if self.ended else "open"
        return f"<Shell {' '.join(self.process.argv)!r} in {self.container.name!r}, {state}>"


__all__ = ["ExecResult", "Shell"]

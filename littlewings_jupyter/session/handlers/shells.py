"""Interactive shells: open one in the watched container, take a detached one back, and its
input, flow-control acknowledgements, size and close. The shell itself is session/shells.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...docker.processes import ShellProcess
from ...errors import Conflict, DockerError, Forbidden, LittleWingsError, NotConnected, ShellGone
from .. import protocol
from ..shells import ShellRun

if TYPE_CHECKING:
    from ..interfaces import Handler
    from ..session import ClientSession


async def on_shell_open(session: ClientSession, message: protocol.ShellOpen) -> None:
    container = session.require_container()
    manager = session.manager
    limits = session.limits
    argv = message.command or list(limits.shell_command) or None
    process = ShellProcess(
        manager.engine_for(container),
        container.id,
        argv,
        message.rows,
        message.cols,
        message.user,
    )
    detail = " ".join(process.argv) + (f" (user {message.user})" if message.user else "")
    entry = manager.actions.audit_start(session, container, "shell", detail, None)
    try:
        await manager.actions.check_write(session, "opening a shell")
        if not limits.shell_enabled:
            raise Forbidden("Shells are disabled on this server (shell_enabled).")
        manager.reserve_reader()
        try:
            await manager.run(process.start)
        except (Conflict, DockerError) as exc:
            process.close()
            raise Conflict(
                f"Cannot start {process.argv[0]!r} in {container.name!r}: {exc.message}"
            ) from None
    except LittleWingsError as exc:
        manager.actions.audit_failure(entry, exc)
        raise
    run = ShellRun(manager, session, process, container, message.id, entry)
    run.flow_control = message.flow_control
    session.shells[run.id] = run
    session.send(run.opened_frame("shell_opened", message.id))
    manager.loop.create_task(run.pump())


async def on_shell_attach(session: ClientSession, message: protocol.ShellMessage) -> None:
    manager = session.manager
    run: ShellRun | None = manager.detached_shells.get(message.shell)
    if run is None or run.owner != session.principal:
        grace = session.limits.shell_reattach_timeout
        raise ShellGone(
            f"The shell {message.shell!r} has ended: it is unknown, or was not taken back "
            f"within {grace:g} s of its connection closing (shell_reattach_timeout)."
        )
    await manager.actions.check_write(session, "reattaching a shell")
    if manager.detached_shells.get(message.shell) is not run:
        raise ShellGone(f"The shell {message.shell!r} was taken back by another connection.")
    session.send(run.opened_frame("shell_attached", message.id))
    run.attach(session, message.flow_control)
    if run.ended:
        return
    rows = message.rows or run.process.rows
    cols = message.cols or run.process.cols
    # The new terminal starts blank: what it got replayed is the tail of the output, not
    # the screen a full-screen program (vi, top, less) drew. A size change makes such a
    # program draw its whole screen again (SIGWINCH), so the size changes even when it is
    # the same: one column narrower for a moment.
    if cols > 1 and (rows, cols) == (run.process.rows, run.process.cols):
        await manager.run(run.process.resize, rows, cols - 1)
    await manager.run(run.process.resize, rows, cols)


def _require_shell(session: ClientSession, message: protocol.ShellMessage) -> ShellRun:
    run = session.shells.get(message.shell)
    if run is None:
        raise NotConnected(f"No open shell {message.shell!r} on this connection.")
    return run


async def on_shell_input(session: ClientSession, message: protocol.ShellMessage) -> None:
    run = _require_shell(session, message)
    run.record_input(message.data)
    await session.manager.run(run.write, message.data)


async def on_shell_ack(session: ClientSession, message: protocol.ShellMessage) -> None:
    _require_shell(session, message).acknowledge(message.chars)


async def on_shell_resize(session: ClientSession, message: protocol.ShellMessage) -> None:
    run = _require_shell(session, message)
    await session.manager.run(run.process.resize, message.rows, message.cols)
    session.send(
        protocol.reply(
            "shell_resized",
            message.id,
            shell=message.shell,
            rows=message.rows,
            cols=message.cols,
        )
    )


async def on_shell_close(session: ClientSession, message: protocol.ShellMessage) -> None:
    _require_shell(session, message).close()


HANDLERS: dict[str, Handler] = {
    "shell_open": on_shell_open,
    "shell_attach": on_shell_attach,
    "shell_input": on_shell_input,
    "shell_ack": on_shell_ack,
    "shell_resize": on_shell_resize,
    "shell_close": on_shell_close,
}

"""Commands: ``command`` (run with exec, or written to the container's stdin) and
``command_stop``. A command runs in a task of its own; its output comes as ``command_output``
frames and it ends with ``command_exit``."""

from __future__ import annotations

import contextlib
import shlex
from typing import TYPE_CHECKING

from ...docker.models import ContainerRef
from ...docker.processes import Exec
from ...errors import Conflict, Forbidden, InvalidMessage, LittleWingsError, TooManyCommands
from ...parsing.lines import Stream
from .. import protocol
from ..session import CommandRun

if TYPE_CHECKING:
    from ..interfaces import Handler
    from ..limits import Limits
    from ..session import ClientSession


def exec_argv(limits: Limits, message: protocol.Command) -> list[str]:
    """The argv a command message runs: its ``argv``, or its string with ``exec_shell``."""
    if message.argv is not None:
        return list(message.argv)
    text = message.command or ""
    argv = [*limits.exec_shell, text] if limits.exec_shell else shlex.split(text)
    if not argv or not text.strip():
        raise InvalidMessage("'command' is empty.")
    return argv


async def on_command(session: ClientSession, message: protocol.Command) -> None:
    container = session.require_container()
    limits = session.limits
    via = message.via or ("stdin" if container.open_stdin and limits.stdin_enabled else "exec")
    manager = session.manager
    entry = manager.actions.audit_start(session, container, "command", message.text, via)
    try:
        await manager.actions.check_write(session, "running commands")
        limits.check_command(message.text)
        if via == "stdin":
            await _send_stdin(session, message, container)
            manager.actions.audit_finish(entry, "ok")
        else:
            await _start_exec(session, message, container, entry)
    except LittleWingsError as exc:
        manager.actions.audit_failure(entry, exc)
        raise


async def _send_stdin(
    session: ClientSession, message: protocol.Command, container: ContainerRef
) -> None:
    if not session.limits.stdin_enabled:
        raise Forbidden("Sending to stdin is disabled on this server (stdin_enabled).")
    text = message.command or ""
    session.send(protocol.reply("command_started", message.id, via="stdin", command=text))
    await session.manager.write_stdin(container, text + "\n")
    session.send(protocol.reply("command_sent", message.id, via="stdin"))


async def _start_exec(
    session: ClientSession,
    message: protocol.Command,
    container: ContainerRef,
    entry: str | None,
) -> None:
    limits = session.limits
    if not limits.exec_enabled:
        raise Forbidden("Running commands with exec is disabled on this server (exec_enabled).")
    if len(session.execs) >= limits.max_concurrent_commands:
        raise TooManyCommands(
            f"{len(session.execs)} commands are still running on this connection "
            f"(at most {limits.max_concurrent_commands}); wait for one to finish."
        )
    manager = session.manager
    manager.reserve_reader()
    argv = exec_argv(limits, message)
    key = next(session.exec_keys)
    run = CommandRun(
        Exec(manager.engine_for(container), container.id, argv),
        message.id,
        message.text,
        entry,
    )
    session.execs[key] = run
    try:
        await manager.run(run.exec.start)
    except LittleWingsError:
        session.execs.pop(key, None)
        raise
    if session.closed or run.exec.cancelled:
        run.exec.cancel()  # release() recorded it as cancelled
        return
    session.send(protocol.reply("command_started", message.id, via="exec", command=message.text))
    manager.loop.create_task(_finish_exec(session, key, run))


async def _finish_exec(session: ClientSession, key: int, run: CommandRun) -> None:
    manager = session.manager
    loop = manager.loop

    def emit(kind: int, data: str) -> None:
        frame = protocol.reply(
            "command_output", run.request_id, stream=Stream.label_of(kind), data=data
        )
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(session.send, frame)

    try:
        await manager.run_reader(run.exec.read, emit)
        exit_code = await manager.run(run.exec.exit_code)
    except LittleWingsError as exc:
        session.execs.pop(key, None)
        manager.actions.audit_failure(run.audit_entry, exc)
        session.send(exc.to_wire(run.request_id))
        return
    if run.exec.cancelled or session.closed:
        return  # release() recorded it as cancelled
    session.execs.pop(key, None)
    stopped = run.exec.stopped
    manager.actions.audit_finish(
        run.audit_entry, "cancelled" if stopped else "ok", exit_code=exit_code
    )
    session.send(
        protocol.reply(
            "command_exit",
            run.request_id,
            exit_code=exit_code,
            duration_ms=round(run.exec.duration * 1000),
            **({"stopped": True} if stopped else {}),
        )
    )


async def on_command_stop(session: ClientSession, message: protocol.CommandStop) -> None:
    run = next((r for r in session.execs.values() if str(r.request_id) == message.command), None)
    if run is None:
        raise InvalidMessage(f"No command {message.command!r} is running on this connection.")
    manager = session.manager
    await manager.actions.check_write(session, "stopping a command")
    session.send(protocol.reply("command_stopping", message.id, command=message.command))

    async def stop() -> None:
        # Its output then ends, and `command_exit` says `stopped` (see _finish_exec).
        if not await manager.run(run.exec.stop):
            session.send(
                Conflict(
                    f"The command {message.command!r} did not end (the container has no "
                    "/bin/sh to signal it with, or it ignores every signal)."
                ).to_wire(message.id)
            )

    # (Up to three signals a couple of seconds apart: the socket's next messages go on.)
    session.spawn(stop())


HANDLERS: dict[str, Handler] = {"command": on_command, "command_stop": on_command_stop}

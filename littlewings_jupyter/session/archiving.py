"""Keeping the log archive: which containers' lines go to it, from where, and catching up
when its writer fell behind (the archive itself, its SQLite file, is session/archive.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TYPE_CHECKING, Any, Callable

from ..docker.models import ContainerRef
from ..errors import LittleWingsError
from .archive import MAX_BACKLOG, Archive, ArchiveTap, wants_archive

if TYPE_CHECKING:
    from .interfaces import SessionManagerLike


class Archiver:
    """The archive of a manager: ``factory`` makes it on first need (at ``path``);
    ``everything`` archives every container, not only those labelled for it."""

    def __init__(
        self,
        manager: SessionManagerLike,
        factory: Callable[[], Archive],
        path: str = "",
        everything: bool = False,
    ) -> None:
        self.manager = manager
        self.factory = factory
        self.path = path
        self.everything = everything
        self.archive: Archive | None = None
        self.started = False
        self.taps: dict[str, tuple[ContainerRef, ArchiveTap]] = {}

    def _archive(self) -> Archive | None:
        if self.archive is None and not self.manager.closing:
            self.archive = self.factory()
        return self.archive

    def for_reading(self) -> Archive | None:
        """The archive to read from, if there is one (made now when its file exists)."""
        if self.archive is None and (self.everything or (self.path and os.path.exists(self.path))):
            return self._archive()
        return self.archive

    async def start(self) -> None:
        """Archive every running container that wants it (the manager's event stream brings
        those that start later)."""
        self.started = True
        containers, _ = await self.manager.list_all()
        for summary in containers:
            if summary.get("state") in ("running", "paused", "restarting"):
                await self.container_started(summary)

    async def container_started(self, summary: dict[str, Any]) -> None:
        """A container runs: archive its lines if it wants that (from where the archive
        stopped: what it printed while nobody archived it too)."""
        if not wants_archive(summary, self.everything):
            return
        archive = self._archive()
        manager = self.manager
        engine = summary.get("engine") or manager.slot(None).name
        key = f"{engine}/{summary['id']}"
        if archive is None or key in self.taps:
            return
        try:
            ref = await manager.resolve(engine, summary["id"])
        except LittleWingsError:
            return
        if key in self.taps:
            return
        archive.register(key, summary)
        after = await manager.run(archive.last_cursor, key)
        tap = ArchiveTap(archive, key, after, lambda t: self._catch_up(ref, t))
        # Live lines wait while what it printed before is read (the server was down, or it
        # just started): the archive gets its lines in order, so a crash leaves no hole.
        tap.held = []
        self.taps[key] = (ref, tap)
        follower = manager.subscribe_logs(ref, tap)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(follower.ready), 30)
        since = after.docker_since() if after else None
        engine_client = manager.engine_for(ref)
        try:
            lines = await manager.run(lambda: engine_client.read_logs(ref.id, ref.tty, since=since))
        except LittleWingsError:
            lines = []
        tap.caught_up([line for line in lines if after is None or line.cursor > after])

    def _catch_up(self, ref: ContainerRef, tap: ArchiveTap) -> None:
        """The archive's writer fell behind: once it caught up, read what was let go."""
        archive = tap.archive
        manager = self.manager

        async def catch_up() -> None:
            while archive.backlog > MAX_BACKLOG // 2 and not manager.closing:
                await asyncio.sleep(0.2)
            tap.held = []
            await manager.run(archive.flush, 60)
            after = await manager.run(archive.last_cursor, tap.key)
            engine = manager.engine_for(ref)
            since = after.docker_since() if after else None
            try:
                lines = await manager.run(lambda: engine.read_logs(ref.id, ref.tty, since=since))
            except LittleWingsError:
                lines = []
            tap.after = after
            tap.caught_up([line for line in lines if after is None or line.cursor > after])

        manager.spawn(catch_up())

    def removed(self, engine: str, container_id: str) -> None:
        """A container is gone: its archived lines are kept for the retention time."""
        key = f"{engine}/{container_id}"
        entry = self.taps.pop(key, None)
        if entry is not None and self.archive is not None:
            ref, tap = entry
            self.archive.removed(key)
            self.manager.unsubscribe_logs(ref, tap)

    def close(self) -> None:
        """Write what is pending and close the archive (blocking)."""
        if self.archive is not None:
            self.archive.close()


__all__ = ["Archiver"]

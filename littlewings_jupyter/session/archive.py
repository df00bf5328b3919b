"""The log archive: lines of archived containers kept in SQLite (with FTS5), so that a removed
container's logs stay readable and searchable.

Off by default (``c.LittleWings.archive``; a container labelled ``littlewings.archive=true``
is archived anyway). Lines reach :class:`Archive` from the containers' shared followers (an
:class:`ArchiveTap` is one more subscriber) and are written by one thread, in transactions of at
most :data:`BATCH_LINES` lines or :data:`BATCH_SECONDS` seconds: a ``kill -9`` of the server
loses at most the batch not yet committed (WAL journal, ``synchronous=NORMAL``: a committed
batch survives a crash of the process). The archive is bounded by size and age: the oldest
lines go first.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import sqlite3
import threading
import time
from typing import Any, Callable

from ..parsing.lines import Cursor, LogLine, Stream
from ..parsing.times import DockerTime
from .frames import LogBatch

log = logging.getLogger("littlewings")

ARCHIVE_LABEL = "littlewings.archive"
BATCH_LINES = 20_000
BATCH_SECONDS = 0.5
# Lines waiting for the writer past which live lines are not queued: the archive then reads
# them back from Docker's own log (since its last line) once the writer caught up.
MAX_BACKLOG = 100_000
PRUNE_EVERY = 60.0  # seconds between checks of the size and age bounds

SCHEMA = """
CREATE TABLE IF NOT EXISTS containers (
    key TEXT PRIMARY KEY,            -- engine/id
    id TEXT NOT NULL,
    engine TEXT NOT NULL,
    name TEXT NOT NULL,
    image TEXT,
    labels TEXT,
    first_ts TEXT,
    last_ts TEXT,
    last_ordinal INTEGER,
    lines INTEGER NOT NULL DEFAULT 0,
    removed_at REAL
);
CREATE TABLE IF NOT EXISTS lines (
    container TEXT NOT NULL,         -- containers.key
    ts TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    stream INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lines_by_container ON lines (container, ts, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS lines_fts USING fts5 (
    text, content='lines', content_rowid='rowid', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS lines_delete AFTER DELETE ON lines BEGIN
    INSERT INTO lines_fts (lines_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
"""


def wants_archive(summary: dict[str, Any], everything: bool) -> bool:
    """Whether a container is archived: all are with ``archive = True``, else those labelled
    ``littlewings.archive=true`` (a label ``false`` opts one out of archiving everything)."""
    value = str((summary.get("labels") or {}).get(ARCHIVE_LABEL, "")).lower()
    if value in ("false", "0", "no"):
        return False
    return everything or value in ("true", "1", "yes")


class Archive:
    """The SQLite store: one writer thread; readers open their own connections."""

    def __init__(self, path: str, max_bytes: int, max_age_days: float) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.max_age = max_age_days * 86400
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.backlog = 0  # lines added and not committed yet
        self._backlog_lock = threading.Lock()
        self._stopped = threading.Event()
        self._last_prune = 0.0
        self.written = 0  # lines committed (for tests and the benchmark)
        self._thread = threading.Thread(target=self._write, name="littlewings-archive", daemon=True)
        self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    # -- writing (the archive's thread) -------------------------------------------------------

    def register(self, key: str, summary: dict[str, Any]) -> None:
        """A container to archive (its name, image and labels kept with its lines)."""
        self._queue.put(("container", (key, summary)))

    def add(self, key: str, lines: list[LogLine]) -> None:
        """Lines of a container, in order (from any thread); waits when the writer is far
        behind (the follower then slows Docker down, as for a slow console)."""
        if lines:
            with self._backlog_lock:
                self.backlog += len(lines)
            self._queue.put(("lines", (key, lines)))

    def removed(self, key: str) -> None:
        """The container was removed from Docker: its lines stay, marked."""
        self._queue.put(("removed", (key, time.time())))

    def _write(self) -> None:
        db = self._connect()
        pending: list[tuple[str, LogLine]] = []
        last: dict[str, tuple[str, int, int]] = {}  # key -> last ts, ordinal, added lines
        deadline = None
        while True:
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0)
            try:
                kind, value = self._queue.get(timeout=timeout if pending else 1.0)
            except queue.Empty:
                kind, value = "flush", None
            if kind == "lines":
                key, lines = value
                pending.extend((key, line) for line in lines if not line.partial)
                if deadline is None:
                    deadline = time.monotonic() + BATCH_SECONDS
            elif kind == "container":
                key, summary = value
                self._commit(db, pending, last)
                pending, deadline = [], None
                db.execute(
                    "INSERT INTO containers (key, id, engine, name, image, labels) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                    "name = excluded.name, removed_at = NULL",
                    (
                        key,
                        summary["id"],
                        summary.get("engine", ""),
                        summary.get("name", ""),
                        summary.get("image", ""),
                        json.dumps(summary.get("labels") or {}),
                    ),
                )
                db.commit()
            elif kind == "removed":
                key, when = value
                self._commit(db, pending, last)
                pending, deadline = [], None
                db.execute("UPDATE containers SET removed_at = ? WHERE key = ?", (when, key))
                db.commit()
            elif kind == "marker":
                self._commit(db, pending, last)
                pending, deadline = [], None
                value.set()
            elif kind == "stop":
                self._commit(db, pending, last)
                db.close()
                return
            if pending and (
                len(pending) >= BATCH_LINES
                or kind == "flush"
                or (deadline is not None and time.monotonic() >= deadline)
            ):
                self._commit(db, pending, last)
                pending, deadline = [], None
            if time.monotonic() - self._last_prune > PRUNE_EVERY:
                self._prune(db)

    def _commit(
        self,
        db: sqlite3.Connection,
        pending: list[tuple[str, LogLine]],
        last: dict[str, tuple[str, int, int]],
    ) -> None:
        if not pending:
            return
        rows = [
            (key, line.cursor.timestamp, line.cursor.ordinal, line.stream, line.text)
            for key, line in pending
        ]
        with db:
            first_rowid = (db.execute("SELECT max(rowid) FROM lines").fetchone()[0] or 0) + 1
            db.executemany(
                "INSERT INTO lines (container, ts, ordinal, stream, text) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            db.execute(
                "INSERT INTO lines_fts (rowid, text) SELECT rowid, text FROM lines "
                "WHERE rowid >= ?",
                (first_rowid,),
            )
            counts: dict[str, list[Any]] = {}
            for key, line in pending:
                entry = counts.setdefault(key, [line.cursor.timestamp, None, None, 0])
                entry[1], entry[2] = line.cursor.timestamp, line.cursor.ordinal
                entry[3] += 1
            db.executemany(
                "UPDATE containers SET first_ts = coalesce(first_ts, ?), last_ts = ?, "
                "last_ordinal = ?, lines = lines + ? WHERE key = ?",
                [(first, ts, ordinal, n, key) for key, (first, ts, ordinal, n) in counts.items()],
            )
        self.written += len(rows)
        with self._backlog_lock:
            self.backlog -= len(pending)

    def _prune(self, db: sqlite3.Connection) -> None:
        self._last_prune = time.monotonic()
        with contextlib.suppress(sqlite3.Error):
            if self.max_age > 0:
                cutoff = DockerTime.from_seconds(time.time() - self.max_age).text
                with db:
                    db.execute("DELETE FROM lines WHERE ts < ?", (cutoff,))
            size = (
                db.execute("PRAGMA page_count").fetchone()[0]
                * db.execute("PRAGMA page_size").fetchone()[0]
            )
            while self.max_bytes > 0 and size > self.max_bytes:
                total = db.execute("SELECT count(*) FROM lines").fetchone()[0]
                if not total:
                    break
                # The oldest tenth goes; freed pages are reused, so the file stops growing.
                with db:
                    db.execute(
                        "DELETE FROM lines WHERE rowid IN (SELECT rowid FROM lines "
                        "ORDER BY ts LIMIT ?)",
                        (max(total // 10, 1),),
                    )
                free = db.execute("PRAGMA freelist_count").fetchone()[0]
                size -= free * db.execute("PRAGMA page_size").fetchone()[0]
                if free == 0:
                    break

    def flush(self, timeout: float = 10) -> bool:
        """Wait until what was added so far is committed (for tests); whether it was."""
        done = threading.Event()
        self._queue.put(("marker", done))
        return done.wait(timeout)

    def close(self) -> None:
        """Commit what is pending and stop the writer."""
        if self._thread.is_alive():
            self._queue.put(("stop", None))
            self._thread.join(10)

    # -- reading (any thread: a connection each) ----------------------------------------------

    def containers(self) -> list[dict[str, Any]]:
        """The archived containers, removed ones included, newest first."""
        with contextlib.closing(self._connect()) as db:
            rows = db.execute(
                "SELECT key, id, engine, name, image, labels, first_ts, last_ts, lines, "
                "removed_at FROM containers ORDER BY last_ts DESC"
            ).fetchall()
        return [
            {
                "key": key,
                "id": cid,
                "engine": engine,
                "name": name,
                "image": image,
                "labels": json.loads(labels or "{}"),
                "first": first,
                "last": last,
                "lines": lines,
                "removed": removed is not None,
                "removed_at": removed,
            }
            for key, cid, engine, name, image, labels, first, last, lines, removed in rows
        ]

    def find(self, ref: str) -> dict[str, Any] | None:
        """An archived container by id, id prefix or name (the newest of that name)."""
        for item in self.containers():
            cid = item["id"]
            if ref in (cid, item["name"]) or (len(ref) >= 4 and cid.startswith(ref)):
                return item
        return None

    def last_cursor(self, key: str) -> Cursor | None:
        """Where a container's archived lines end (to go on after a restart of the server)."""
        with contextlib.closing(self._connect()) as db:
            row = db.execute(
                "SELECT last_ts, last_ordinal FROM containers WHERE key = ?", (key,)
            ).fetchone()
        return Cursor(row[0], row[1]) if row and row[0] else None

    def lines(
        self,
        key: str,
        tail: int | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[LogLine]:
        """A container's archived lines (timestamps as RFC 3339 strings), oldest first."""
        where: list[str] = ["container = ?"]
        args: list[Any] = [key]
        if since:
            where.append("ts >= ?")
            args.append(since)
        if until:
            where.append("ts < ?")
            args.append(until)
        sql = f"SELECT ts, ordinal, stream, text FROM lines WHERE {' AND '.join(where)}"
        if tail is not None:
            sql += " ORDER BY ts DESC, ordinal DESC LIMIT ?"
            args.append(tail)
        else:
            sql += " ORDER BY ts, ordinal"
        with contextlib.closing(self._connect()) as db:
            rows = db.execute(sql, args).fetchall()
        if tail is not None:
            rows.reverse()
        return [LogLine(stream, Cursor(ts, ordinal), text) for ts, ordinal, stream, text in rows]

    def batches(
        self,
        key: str,
        since: str | None = None,
        until: str | None = None,
        containing: str | None = None,
        size: int = 5000,
    ) -> Any:
        """A container's archived lines in batches, oldest first; ``containing`` (3 characters
        or more): only lines holding that text, any case (the FTS5 trigram index finds them)."""
        where: list[str] = ["l.container = ?"]
        args: list[Any] = [key]
        if since:
            where.append("l.ts >= ?")
            args.append(since)
        if until:
            where.append("l.ts < ?")
            args.append(until)
        source = "lines l"
        if containing is not None and len(containing) >= 3:
            source = "lines_fts f JOIN lines l ON l.rowid = f.rowid"
            where.append("lines_fts MATCH ?")
            args.append('"' + containing.replace('"', '""') + '"')
        sql = (
            f"SELECT l.ts, l.ordinal, l.stream, l.text FROM {source} "
            f"WHERE {' AND '.join(where)} ORDER BY l.ts, l.ordinal"
        )
        with contextlib.closing(self._connect()) as db:
            cursor = db.execute(sql, args)
            while True:
                rows = cursor.fetchmany(size)
                if not rows:
                    return
                yield [LogLine(stream, Cursor(ts, o), text) for ts, o, stream, text in rows]


class ArchiveTap:
    """The archive as one more subscriber of a container's follower.

    When the writer falls :data:`MAX_BACKLOG` lines behind, live lines are not queued (the
    event loop must never wait for the disk); once it caught up, the lines missed meanwhile
    are read back from Docker's own log, after the archive's last line, and live lines go on
    after those. Nothing is lost while the container lives.
    """

    def __init__(
        self,
        archive: Archive,
        key: str,
        after: Cursor | None,
        catch_up: Callable[[ArchiveTap], None] | None = None,
    ) -> None:
        self.archive = archive
        self.key = key
        self.after = after  # lines already archived (before a restart of the server)
        self.catch_up = catch_up
        self.behind = False  # live lines are being let go (the writer is far behind)
        self.held: list[LogLine] | None = None  # live lines during a catch-up read

    def deliver_logs(self, batch: LogBatch) -> None:
        """Live lines: to the archive."""
        lines = batch.lines
        if self.held is not None:
            self.held.extend(lines)
            return
        if self.behind:
            return
        if self.archive.backlog > MAX_BACKLOG and self.catch_up is not None:
            self.behind = True
            self.catch_up(self)
            return
        if self.after is not None:
            lines = [line for line in lines if line.cursor > self.after]
            if lines:
                self.after = None
        self.archive.add(self.key, lines)

    def caught_up(self, read: list[LogLine]) -> None:
        """(The loop) the catch-up read ``read``: it and the lines held meanwhile go in."""
        held, self.held = self.held or [], None
        self.behind = False
        last = read[-1].cursor if read else self.after
        self.archive.add(self.key, read)
        if last is not None:
            held = [line for line in held if line.cursor > last]
            self.after = last if not held else None
        self.archive.add(self.key, held)

    def container_status(self, frame: dict[str, Any]) -> None:
        """(State changes are not archived.)"""

    def container_removed(self, frame: dict[str, Any]) -> None:
        """The container is gone: its archived lines are marked removed."""
        self.archive.removed(self.key)

    def send(self, frame: dict[str, Any]) -> None:
        """(Throttling notices are for consoles.)"""


def line_json(line: LogLine) -> dict[str, Any]:
    """An archived line as the REST answers give it."""
    stream = Stream.label_of(line.stream)
    return {"cursor": str(line.cursor), "stream": stream, "line": line.text}


__all__ = ["ARCHIVE_LABEL", "Archive", "ArchiveTap", "line_json", "wants_archive"]

"""The audit trail: every command, stdin line and power action, in an embedded SQLite database.

Writes go through one background thread (never the IOLoop) and are committed in WAL mode, so
rows written before a crash — even ``kill -9`` — are still there when the server comes back.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger("littlewings")

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id TEXT PRIMARY KEY,
    time REAL NOT NULL,
    user TEXT NOT NULL,
    container_id TEXT NOT NULL,
    container_name TEXT NOT NULL,
    action TEXT NOT NULL,
    via TEXT,
    detail TEXT NOT NULL,
    result TEXT NOT NULL,
    exit_code INTEGER,
    error TEXT,
    finished REAL
);
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
CREATE INDEX IF NOT EXISTS audit_container ON audit (container_id, time);
CREATE INDEX IF NOT EXISTS audit_user ON audit (user, time);
"""

COLUMNS = (
    "id",
    "time",
    "user",
    "container_id",
    "container_name",
    "action",
    "via",
    "detail",
    "result",
    "exit_code",
    "error",
    "finished",
)

_STOP = object()


def connect(path: str) -> sqlite3.Connection:
    """A connection to the audit database, created with its schema when missing."""
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    db = sqlite3.connect(path, timeout=10, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


class AuditLog:
    """Records who did what to which container, and how it ended."""

    def __init__(self, path: str, retention_days: float = 90.0) -> None:
        self.path = path
        self.retention_days = retention_days
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._db = connect(path)
        self._prune()
        self._last_prune = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="littlewings-audit", daemon=True)
        self._thread.start()

    def start(
        self,
        *,
        user: str,
        container_id: str,
        container_name: str,
        action: str,
        detail: str,
        via: str | None = None,
    ) -> str:
        """Record an action as it begins; the id to :meth:`finish` it with."""
        entry_id = uuid.uuid4().hex
        row = (
            entry_id,
            time.time(),
            user,
            container_id,
            container_name,
            action,
            via,
            detail,
            "running",
            None,
            None,
            None,
        )
        self._queue.put(("insert", row))
        return entry_id

    def finish(
        self,
        entry_id: str,
        result: str,
        *,
        exit_code: int | None = None,
        error: str | None = None,
        container_id: str | None = None,
        container_name: str | None = None,
    ) -> None:
        """Record how an action ended: ``ok``, ``error``, ``denied``…, with its exit code (and
        the container it made, for a ``create``)."""
        self._queue.put(
            (
                "finish",
                (result, exit_code, error, time.time(), container_id, container_name, entry_id),
            )
        )

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything recorded so far is committed (blocking)."""
        done = threading.Event()
        self._queue.put(("flush", done))
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch = [item]
            while len(batch) < 500:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = False
            events: list[threading.Event] = []
            try:
                with self._db:
                    for entry in batch:
                        if entry is _STOP:
                            stop = True
                        elif entry[0] == "insert":
                            self._db.execute(
                                f"INSERT INTO audit VALUES ({','.join('?' * len(COLUMNS))})",
                                entry[1],
                            )
                        elif entry[0] == "finish":
                            self._db.execute(
                                "UPDATE audit SET result=?, exit_code=?, error=?, finished=?, "
                                "container_id=COALESCE(?, container_id), "
                                "container_name=COALESCE(?, container_name) WHERE id=?",
                                entry[1],
                            )
                        elif entry[0] == "flush":
                            events.append(entry[1])
            except sqlite3.Error:
                log.exception("LittleWings: could not write the audit trail to %s", self.path)
            for event in events:
                event.set()
            if time.monotonic() - self._last_prune > 3600:
                self._prune()
            if stop:
                self._db.close()
                return

    def _prune(self) -> None:
        if self.retention_days <= 0:
            return
        cutoff = time.time() - self.retention_days * 86400
        try:
            with self._db:
                self._db.execute("DELETE FROM audit WHERE time < ?", (cutoff,))
        except sqlite3.Error:
            log.exception("LittleWings: could not prune the audit trail")
        self._last_prune = time.monotonic()

    def query(
        self,
        *,
        container: str | None = None,
        user: str | None = None,
        action: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> dict[str, Any]:
        """Entries, newest first, filtered (blocking; run it in a worker thread)."""
        where, args = [], []
        if container:
            where.append("(container_id = ? OR container_name = ? OR container_id LIKE ?)")
            args += [container, container, container + "%"]
        if user:
            where.append("user = ?")
            args.append(user)
        if action:
            where.append("action = ?")
            args.append(action)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        db = sqlite3.connect(self.path, timeout=10)
        try:
            total = db.execute(f"SELECT COUNT(*) FROM audit {clause}", args).fetchone()[0]
            rows = db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM audit {clause} "
                "ORDER BY time DESC, rowid DESC LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
        finally:
            db.close()
        entries = []
        for row in rows:
            entry = dict(zip(COLUMNS, row))
            entry["time_iso"] = datetime.fromtimestamp(entry["time"], timezone.utc).isoformat()
            entries.append(entry)
        return {"entries": entries, "total": total, "limit": limit, "offset": offset}

    def close(self) -> None:
        """Commit what is queued and close the database."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(5)

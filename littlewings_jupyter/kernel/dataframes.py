"""A container's logs and stats as pandas DataFrames: ``c.logs_frame()`` and ``c.stats_frame()``.

pandas is an optional extra (``pip install "littlewings-jupyter[frames]"``): it is imported
when a frame is asked for, never with the package, and its absence is a
:class:`~littlewings_jupyter.errors.MissingDependency` that says what to install.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, MissingDependency
from ..parsing.structured import LEVELS, parse_line, record_time
from ..streams.base import iter_json_documents
from ..streams.stats import compute_stats

if TYPE_CHECKING:
    import pandas

    from .interfaces import ContainerLike
    from .lines import Line

INSTALL_HINT = 'pip install "littlewings-jupyter[frames]"'
LOG_COLUMNS = ("time", "stream", "container", "level", "message", "log_time")
STATS_COLUMNS = (
    "time",
    "container",
    "cpu_percent",
    "memory_usage",
    "memory_limit",
    "memory_percent",
    "network_rx_bytes",
    "network_tx_bytes",
    "block_read_bytes",
    "block_write_bytes",
    "pids",
)
MAX_FIELDS = 50
MAX_DEPTH = 16  # nesting flattened into dotted names; deeper objects stay values
# Docker writes a zero time as the "read" of a sample of a container that does not run.
_ZERO_TIME = "0001-01-01T00:00:00Z"


def require_pandas() -> Any:
    """The pandas module, or a clear error saying how to install it."""
    try:
        import pandas
    except ImportError as exc:
        raise MissingDependency(
            f"Logs and stats as DataFrames need pandas, which is not installed: {INSTALL_HINT}",
            name="pandas",
        ) from exc
    return pandas


# -- logs ----------------------------------------------------------------------------------------


def logs_frame(
    container: ContainerLike,
    tail: int | None = None,
    since: Any = None,
    until: Any = None,
    stream: str | None = None,
    max_fields: int = MAX_FIELDS,
) -> pandas.DataFrame:
    """The container's log as a DataFrame, one row a line (see ``Container.logs_frame``)."""
    pd = require_pandas()  # before reading the log: no wait for nothing
    if max_fields < 0:
        raise ValueError(f"max_fields must be 0 or more, not {max_fields!r}.")
    lines = container.log_lines(tail, since, until, stream)
    return lines_frame(lines, container.name, max_fields, pd)


def lines_frame(
    lines: Iterable[Line], container: str = "", max_fields: int = MAX_FIELDS, pd: Any = None
) -> pandas.DataFrame:
    """Log lines as a DataFrame: the base columns, then the fields of structured lines.

    ``container`` names the container of lines that do not say (``Line.container`` of merged
    logs does).
    """
    pd = pd or require_pandas()
    times: list[str] = []
    streams: list[str] = []
    names: list[str] = []
    levels: list[str | None] = []
    messages: list[str] = []
    log_times: list[Any] = []
    rows: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for line in whole_lines(lines):
        record = parse_line(line.text)
        times.append(line.timestamp)
        streams.append(line.stream)
        names.append(line.container or container)
        levels.append(record.level)
        messages.append(record.message)
        log_times.append(None if record.time is None else record_time(record.time))
        flat = flatten(record.fields) if record.fields else {}
        rows.append(flat)
        counts.update(flat.keys())
    # The most common fields, first seen first among equals (Counter keeps insertion order).
    kept = [name for name, _ in counts.most_common(max_fields)] if max_fields else []
    dropped = sorted(set(counts) - set(kept))
    columns: dict[str, Any] = {
        "time": utc_times(pd, times),
        "stream": streams,
        "container": names,
        "level": pd.Categorical(levels, categories=LEVELS, ordered=True),
        "message": messages,
        "log_time": utc_times(pd, log_times),
    }
    for name in kept:
        column = name if name not in columns else f"field.{name}"
        columns[column] = [row.get(name) for row in rows]
    frame = pd.DataFrame(columns)
    frame.attrs["container"] = container
    frame.attrs["dropped_fields"] = dropped
    return frame


def utc_times(pd: Any, values: list[Any]) -> Any:
    """RFC 3339 strings or aware datetimes (None for none) as a UTC nanosecond column."""
    series = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    return series.dt.as_unit("ns")  # pandas 3 would pick the unit from the values


def whole_lines(lines: Iterable[Line]) -> Iterator[Line]:
    """Lines with the pieces of a long line (over ``max_line_bytes``) joined again."""
    pending: dict[tuple[str | None, str], Line] = {}  # a line's first pieces, joined so far
    for line in lines:
        key = (line.container, line.stream)
        start = pending.pop(key, None)
        if start is not None and line.continued:
            line = replace(start, text=start.text + line.text, partial=line.partial)
        elif start is not None:  # a piece whose end never came (the log was cut): as it is
            yield start
        if line.partial:
            pending[key] = line
        else:
            yield line
    yield from pending.values()


def flatten(fields: Any, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested objects as one level of dotted names: ``{"req": {"id": 1}}`` → ``{"req.id": 1}``.

    Below ``MAX_DEPTH`` levels an object stays one value.
    """
    flat: dict[str, Any] = {}
    for key, value in fields.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and depth < MAX_DEPTH:
            flat.update(flatten(value, f"{name}.", depth + 1))
        else:
            flat[name] = value
    return flat


# -- stats ---------------------------------------------------------------------------------------


def stats_frame(
    container: ContainerLike, duration: float = 10, interval: float = 1.0
) -> pandas.DataFrame:
    """The container's stats sampled for ``duration`` seconds (see ``Container.stats_frame``)."""
    pd = require_pandas()
    if not duration > 0:
        raise ValueError(f"duration must be more than 0 seconds, not {duration!r}.")
    if not interval > 0:
        raise ValueError(f"interval must be more than 0 seconds, not {interval!r}.")
    state = container.status
    if state != "running":
        raise Conflict(f"Cannot sample the stats of {container.name!r}: it is {state}.")
    samples = sample_stats(container, duration, interval)
    rows = [stats_row(sample) for sample in samples]
    columns: dict[str, Any] = {
        name: [row[name] for row in rows] for name in STATS_COLUMNS if name != "container"
    }
    columns["time"] = utc_times(pd, columns["time"])
    columns["container"] = [container.name] * len(rows)
    frame = pd.DataFrame({name: columns[name] for name in STATS_COLUMNS})
    for name in STATS_COLUMNS[2:]:
        frame[name] = frame[name].astype("float64" if "percent" in name else "int64")
    frame.attrs["container"] = container.name
    return frame


def sample_stats(
    container: ContainerLike, duration: float, interval: float
) -> list[dict[str, Any]]:
    """Docker's stats samples of the container for ``duration`` seconds, one per ``interval``.

    Docker sends about one a second; a longer interval keeps one of every few. The first
    sample of a stream has no earlier CPU reading to compare with and is left out, as are
    samples after the container stopped.
    """
    engine = container.engine
    docker_stream = container._call(engine.open_stats, container.id)
    timer = threading.Timer(duration, docker_stream.close)
    timer.daemon = True
    kept: list[dict[str, Any]] = []
    last: float | None = None
    timer.start()
    try:
        for sample in iter_json_documents(docker_stream):
            read = str(sample.get("read") or "")
            if read.startswith(_ZERO_TIME[:4]):
                break  # the container stopped
            if not (sample.get("precpu_stats") or {}).get("system_cpu_usage"):
                continue
            moment = time.monotonic()
            # Docker's second jitters: a sample a little early still counts for its interval.
            if last is None or moment - last >= interval * 0.9:
                kept.append(sample)
                last = moment
    finally:
        timer.cancel()
        timer.join()
        docker_stream.close()
    return kept


def stats_row(sample: dict[str, Any]) -> dict[str, Any]:
    """One row of a stats frame: ``docker stats``' numbers of one sample, at Docker's time."""
    stats = compute_stats(sample)
    return {
        "time": sample.get("read")
        or datetime.fromtimestamp(stats["time"], timezone.utc).isoformat(),
        "cpu_percent": stats["cpu_percent"],
        "memory_usage": stats["memory"]["usage"],
        "memory_limit": stats["memory"]["limit"],
        "memory_percent": stats["memory"]["percent"],
        "network_rx_bytes": stats["network"]["rx_bytes"],
        "network_tx_bytes": stats["network"]["tx_bytes"],
        "block_read_bytes": stats["block_io"]["read_bytes"],
        "block_write_bytes": stats["block_io"]["write_bytes"],
        "pids": stats["pids"],
    }

"""Logs and stats as pandas DataFrames (``c.logs_frame()``, ``c.stats_frame()``), real Docker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import littlewings_jupyter as lw
from littlewings_jupyter.kernel.client import Client

pytestmark = pytest.mark.docker

BASE_COLUMNS = ["time", "stream", "container", "level", "message", "log_time"]
STATS_COLUMNS = [
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
]
# One line of each kind, to stdout and stderr (a pause between streams keeps their order); "done"
# last, to know the log is complete.
MIXED_LOG = r"""
echo '{"level":"info","ts":1700000000.5,"msg":"listening","addr":":8080",'\
'"req":{"id":7,"path":"/x"}}'; sleep 0.1
echo '{"level":50,"time":1700000000123,"msg":"request failed","req":{"id":8}}' >&2; sleep 0.1
echo 'time="2024-01-02T03:04:05Z" level=warning msg="disk almost full" pct=91'; sleep 0.1
echo '2024/01/02 03:04:05 [error] 29#29: open() failed' >&2; sleep 0.1
echo 'no errors found'
echo '{"severity":"DEBUG","message":"done"}'
sleep 3600
"""


@pytest.fixture
def client() -> Iterator[Client]:
    """A client of the test engine (from the environment), closed after the test."""
    with lw.Client() as c:
        yield c


def wait_for_lines(c: Any, count: int, timeout: float = 10) -> None:
    """Poll until the container's log has ``count`` lines."""
    deadline = time.monotonic() + timeout
    while len(c.log_lines()) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} lines never arrived; log: {c.logs()[-500:]!r}")
        time.sleep(0.05)


# -- logs_frame -----------------------------------------------------------------------------------


def test_logs_frame_has_one_row_a_line_with_level_message_and_fields(
    client: Client, make_container: Any
) -> None:
    made = make_container(MIXED_LOG)
    c = client.container(made.name)
    wait_for_lines(c, 6)
    frame = c.logs_frame()

    assert list(frame.columns[:6]) == BASE_COLUMNS
    assert list(frame.columns[6:]) == ["req.id", "addr", "req.path", "pct"]  # most common first
    assert len(frame) == 6
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    assert frame["time"].is_monotonic_increasing
    assert (frame["time"] > pd.Timestamp("2024-01-01", tz="UTC")).all()
    assert list(frame["stream"]) == ["stdout", "stderr", "stdout", "stderr", "stdout", "stdout"]
    assert set(frame["container"]) == {made.name}
    assert list(frame["level"].astype(object).fillna("-")) == [
        "info",
        "error",
        "warn",
        "error",
        "-",
        "debug",
    ]
    assert frame["level"].cat.ordered and list(frame["level"].cat.categories) == [
        "trace",
        "debug",
        "info",
        "warn",
        "error",
        "fatal",
    ]
    assert (frame["level"] >= "warn").sum() == 3
    assert list(frame["message"]) == [
        "listening",
        "request failed",
        "disk almost full",
        "2024/01/02 03:04:05 [error] 29#29: open() failed",
        "no errors found",
        "done",
    ]
    assert list(frame["log_time"].iloc[:3]) == [
        pd.Timestamp("2023-11-14 22:13:20.5", tz="UTC"),
        pd.Timestamp("2023-11-14 22:13:20.123", tz="UTC"),
        pd.Timestamp("2024-01-02 03:04:05", tz="UTC"),
    ]
    assert frame["log_time"].iloc[3:].isna().all()
    assert list(frame["req.id"].iloc[:2]) == [7, 8]
    assert frame["req.path"].iloc[0] == "/x" and pd.isna(frame["req.path"].iloc[1])
    assert frame["pct"].iloc[2] == "91"  # logfmt values are text
    assert frame.attrs == {"container": made.name, "dropped_fields": []}


def test_logs_frame_takes_the_arguments_of_log_lines(client: Client, make_container: Any) -> None:
    made = make_container(MIXED_LOG)
    c = client.container(made.name)
    wait_for_lines(c, 6)
    lines = c.log_lines()

    assert list(c.logs_frame(tail=2)["message"]) == ["no errors found", "done"]
    stderr = c.logs_frame(stream="stderr")
    assert list(stderr["stream"]) == ["stderr", "stderr"]
    assert list(stderr.columns) == [*BASE_COLUMNS, "req.id"]  # only the fields of its lines
    assert list(c.logs_frame(since=lines[3])["message"]) == ["no errors found", "done"]
    assert len(c.logs_frame(since="1h")) == 6
    assert len(c.logs_frame(until="2000-01-01T00:00:00Z")) == 0
    with pytest.raises(ValueError, match="stream must be"):
        c.logs_frame(stream="both")


def test_logs_frame_keeps_the_most_common_fields_and_names_the_rest(
    client: Client, make_container: Any
) -> None:
    # Field k0 is on every line, k1 on all but one … k6 on one line; "stream" is a field too.
    script = "".join(
        "echo '{" + ",".join(f'"k{k}":{n}' for k in range(7 - n)) + ',"stream":"x"}\'\n'
        for n in range(7)
    )
    made = make_container(script + "sleep 3600")
    c = client.container(made.name)
    wait_for_lines(c, 7)

    frame = c.logs_frame(max_fields=4)
    assert list(frame.columns) == [*BASE_COLUMNS, "k0", "field.stream", "k1", "k2"]
    assert list(frame["stream"].unique()) == ["stdout"]  # Docker's stream, not the field
    assert list(frame["field.stream"].unique()) == ["x"]
    assert frame.attrs["dropped_fields"] == ["k3", "k4", "k5", "k6"]
    assert list(c.logs_frame(max_fields=0).columns) == BASE_COLUMNS
    assert len(c.logs_frame().columns) == len(BASE_COLUMNS) + 8
    with pytest.raises(ValueError, match="max_fields"):
        c.logs_frame(max_fields=-1)


def test_a_long_json_line_in_pieces_is_one_row(client: Client, make_container: Any) -> None:
    client.engine.max_line_bytes = 1000  # so that a 5,000-character line comes in pieces
    made = make_container(
        "x=$(head -c 5000 /dev/zero | tr '\\0' x); "
        'echo "{\\"level\\":\\"error\\",\\"msg\\":\\"$x\\"}"; echo after; sleep 3600'
    )
    c = client.container(made.name)
    wait_for_lines(c, 7)
    assert sum(line.partial for line in c.log_lines()) >= 4

    frame = c.logs_frame()
    assert len(frame) == 2
    assert frame["level"].iloc[0] == "error"
    assert frame["message"].iloc[0] == "x" * 5000
    assert frame["message"].iloc[1] == "after"


def test_an_empty_log_is_an_empty_frame_with_the_columns(
    client: Client, make_container: Any
) -> None:
    made = make_container("sleep 3600")
    frame = client.container(made.name).logs_frame()
    assert list(frame.columns) == BASE_COLUMNS
    assert len(frame) == 0
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    assert str(frame["level"].dtype) == "category"


# -- stats_frame ----------------------------------------------------------------------------------


def test_stats_frame_samples_memory_as_it_grows(client: Client, make_container: Any) -> None:
    # 2 MiB more every half second, in /dev/shm (counted as the container's memory; a shell
    # variable grew by copies the shell freed again, and on a loaded machine by one a sample).
    made = make_container(
        "while true; do head -c 2097152 /dev/zero >> /dev/shm/grow; sleep 0.5; done"
    )
    c = client.container(made.name)
    started = time.monotonic()
    frame = c.stats_frame(duration=4)
    elapsed = time.monotonic() - started

    assert elapsed >= 3.9  # it sampled for the whole duration (a loaded machine may add more)
    assert list(frame.columns) == STATS_COLUMNS
    # Docker samples about once a second (the first is left out); fewer when the machine lags.
    assert 2 <= len(frame) <= 5
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"
    gaps = frame["time"].diff().dropna().dt.total_seconds()
    assert (gaps > 0.5).all(), list(gaps)  # one sample an interval, never two
    assert set(frame["container"]) == {made.name}
    grown = frame["memory_usage"].iloc[-1] - frame["memory_usage"].iloc[0]
    assert grown > 4 * 2**20, list(frame["memory_usage"])
    assert (frame["memory_limit"] > frame["memory_usage"]).all()
    assert (frame["pids"] >= 1).all()
    assert frame["cpu_percent"].dtype == "float64" and (frame["cpu_percent"] >= 0).all()
    assert frame["memory_usage"].dtype == "int64"
    # The same numbers as c.stats(), which `docker stats` shows.
    now = c.stats()
    assert abs(now["memory"]["usage"] - frame["memory_usage"].iloc[-1]) < 16 * 2**20
    assert now["memory"]["limit"] == frame["memory_limit"].iloc[-1]


def test_stats_frame_keeps_one_sample_an_interval(client: Client, make_container: Any) -> None:
    made = make_container("sleep 3600")
    frame = client.container(made.name).stats_frame(duration=5.5, interval=2)
    assert 2 <= len(frame) <= 3
    gaps = frame["time"].diff().dropna().dt.total_seconds()
    assert (gaps > 1.7).all(), list(gaps)


def test_stats_frame_ends_when_the_container_stops(client: Client, make_container: Any) -> None:
    made = make_container("sleep 2.5")
    c = client.container(made.name)
    started = time.monotonic()
    frame = c.stats_frame(duration=30)
    assert time.monotonic() - started < 8
    assert 1 <= len(frame) <= 3
    assert c.status == "exited"


def test_stats_frame_of_a_container_that_does_not_run(client: Client, make_container: Any) -> None:
    made = make_container(start=False)
    c = client.container(made.name)
    with pytest.raises(lw.Conflict, match="it is created"):
        c.stats_frame(duration=1)
    with pytest.raises(ValueError, match="duration"):
        c.stats_frame(duration=0)
    with pytest.raises(ValueError, match="interval"):
        c.stats_frame(interval=-1)


# -- without pandas -------------------------------------------------------------------------------


def test_without_pandas_the_error_says_what_to_install(
    client: Client, make_container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = make_container(MIXED_LOG)
    c = client.container(made.name)
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now fails

    for call in (c.logs_frame, lambda: c.stats_frame(duration=5)):
        started = time.monotonic()
        with pytest.raises(ImportError) as info:
            call()
        assert time.monotonic() - started < 1  # at once: no log read, no stats sampled
        assert isinstance(info.value, lw.MissingDependency)
        assert isinstance(info.value, lw.LittleWingsError)
        assert 'pip install "littlewings-jupyter[frames]"' in info.value.message
        assert info.value.name == "pandas"
    # The rest of the API does not need pandas.
    assert "listening" in c.logs()


def test_importing_the_api_does_not_import_pandas() -> None:
    code = (
        "import sys, littlewings_jupyter as lw\n"
        "lw.Container.logs_frame, lw.Container.stats_frame\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=os.environ, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_flatten_names_nested_fields_with_dots_down_to_a_depth() -> None:
    from littlewings_jupyter.kernel.dataframes import MAX_DEPTH, flatten

    assert flatten({"a": 1, "req": {"id": 7, "h": {"ua": "x"}}, "e": {}, "l": [1, {"b": 2}]}) == {
        "a": 1,
        "req.id": 7,
        "req.h.ua": "x",
        "e": {},  # an empty object stays a value
        "l": [1, {"b": 2}],  # arrays are values
    }
    deep: dict[str, object] = {"x": 1}
    for _ in range(MAX_DEPTH + 5):
        deep = {"k": deep}
    flat = flatten(deep)
    ((name, value),) = flat.items()
    assert name == ".".join(["k"] * (MAX_DEPTH + 1)) and isinstance(value, dict)

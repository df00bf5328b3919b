"""History reads of an engine with whole-second stamps (Podman): ordinals as from the log's start.

The fake log here is pure data (the reads' rules as Podman applies them, measured on Podman 4.3:
``since`` and ``until`` are exact, only the stamps printed are whole seconds); the same reads run
against a real Podman in the ``both_engines`` suites.
"""

from __future__ import annotations

from collections.abc import Iterator

from littlewings_jupyter.docker.lines import Cursor, LogLine
from littlewings_jupyter.docker.times import DockerTime
from littlewings_jupyter.docker.wholeseconds import read_history, whole_second

T0 = 1_796_667_230  # a whole second


class FakeLog:
    """Lines written at exact times, printed with whole-second stamps, numbered per read."""

    def __init__(self, times: list[float]) -> None:
        self.times = times
        self.reads: list[tuple[int | None, str | None, str | None]] = []

    def read(
        self, tail: int | None, since: str | None, until: str | None
    ) -> Iterator[list[LogLine]]:
        self.reads.append((tail, since, until))
        chosen = [
            (i, t)
            for i, t in enumerate(self.times)
            if (since is None or t >= float(since)) and (until is None or t < float(until))
        ]
        if tail is not None:
            chosen = chosen[-tail:] if tail else []
        lines, last, ordinal = [], None, 0
        for i, t in chosen:
            stamp = DockerTime.from_seconds(int(t)).text
            ordinal = ordinal + 1 if stamp == last else 0
            last = stamp
            lines.append(LogLine(1, Cursor(stamp, ordinal), f"line {i}"))
        for start in range(0, len(lines), 3):  # in small batches, as a stream gives them
            yield lines[start : start + 3]


def true_cursors(log: FakeLog) -> dict[str, Cursor]:
    return {line.text: line.cursor for batch in log.read(None, None, None) for line in batch}


def read(log: FakeLog, tail: int | None = None, since: str | None = None) -> list[LogLine]:
    return [line for batch in read_history(log.read, tail, since, None) for line in batch]


def test_a_tail_that_starts_inside_a_second_is_numbered_from_its_start() -> None:
    # 10 lines in second T0, 4 in T0+1: a tail of 6 starts at the 9th line of T0.
    log = FakeLog([T0 + i / 20 for i in range(10)] + [T0 + 1 + i / 10 for i in range(4)])
    truth = true_cursors(log)
    lines = read(log, tail=6)
    assert [line.text for line in lines] == [f"line {i}" for i in range(8, 14)]
    assert [line.cursor for line in lines] == [truth[line.text] for line in lines]


def test_a_tail_within_one_second_starts_at_that_seconds_first_line() -> None:
    log = FakeLog([T0 - 1 + 0.5] + [T0 + i / 100 for i in range(50)])
    truth = true_cursors(log)
    lines = read(log, tail=5)
    # Read again from the second's start: the last 5 lines, each with its true ordinal.
    assert [line.text for line in lines] == [f"line {i}" for i in range(46, 51)]
    assert all(line.cursor == truth[line.text] for line in lines)


def test_since_counts_from_its_whole_second() -> None:
    log = FakeLog([T0 + i / 10 for i in range(10)])
    truth = true_cursors(log)
    lines = read(log, since=f"{T0}.55")
    assert log.reads[-1][1] == str(T0)
    assert [line.cursor for line in lines] == [truth[line.text] for line in lines]
    assert len(lines) == 10


def test_whole_tail_and_empty_reads() -> None:
    log = FakeLog([T0 + i for i in range(5)])
    assert [line.text for line in read(log)] == [f"line {i}" for i in range(5)]
    assert read(FakeLog([]), tail=5) == []
    assert read(log, tail=0) == []
    assert whole_second("1796667230.999999999") == "1796667230"
    assert whole_second(1796667230.5) == "1796667230"
    assert whole_second(None) is None

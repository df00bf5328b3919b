"""History reads of an engine with whole-second stamps (Podman): ordinals as from the log's start.

The fake log here is pure data (the reads' rules as Podman applies them, measured on Podman 4.3:
``since`` and ``until`` are exact, only the stamps printed are whole seconds); the same reads run
against a real Podman in the ``both_engines`` suites.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from littlewings_jupyter.docker.wholeseconds import FollowTally, read_history, whole_second
from littlewings_jupyter.parsing.lines import Cursor, LineAssembler, LogLine
from littlewings_jupyter.parsing.times import DockerTime

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


class PieceLog:
    """Pieces of lines written at exact times, as conmon records them (a piece without a newline
    goes on in the next: conmon cuts lines at its 8 KB buffer), read as Podman's API sends them
    (one frame a piece, whole-second stamps) through the real :class:`LineAssembler`."""

    def __init__(self, pieces: list[tuple[float, bytes]]) -> None:
        self.pieces = pieces

    def read(
        self, tail: int | None, since: str | None, until: str | None
    ) -> Iterator[list[LogLine]]:
        chosen = [
            (t, piece)
            for t, piece in self.pieces
            if (since is None or t >= float(since)) and (until is None or t < float(until))
        ]
        if tail is not None:
            chosen = chosen[-tail:] if tail else []
        assembler = LineAssembler()
        for t, piece in chosen:
            payload = DockerTime.from_seconds(int(t)).text[:19].encode() + b"Z " + piece
            yield assembler.feed(struct.pack(">BxxxL", 1, len(payload)) + payload)
        yield assembler.flush()


def lines_across_a_second() -> PieceLog:
    # Ten lines in T0; a line cut at T0's very end and ended in T0+1; two more lines in T0+1.
    pieces = [(T0 + i / 20, f"a{i}\n".encode()) for i in range(10)]
    pieces += [(T0 + 0.999, b"abc"), (T0 + 1.001, b"def\n")]
    pieces += [(T0 + 1.2, b"b0\n"), (T0 + 1.3, b"b1\n")]
    return PieceLog(pieces)


def test_a_line_cut_across_a_second_has_one_place_whatever_the_read() -> None:
    log = lines_across_a_second()
    full = [line for batch in log.read(None, None, None) for line in batch]
    assert [line.text for line in full][-4:] == ["a9", "abcdef", "b0", "b1"]
    truth = {line.text: line.cursor for line in full}
    # A read from T0+1 gets the line's end alone, at the line's own place: the lines after it
    # keep their ordinals (placed at its first piece, "b0" was 0 here and 1 in the full read).
    later = read(log, since=str(T0 + 1))  # type: ignore[arg-type]
    assert [line.text for line in later] == ["def", "b0", "b1"]
    assert [line.cursor for line in later] == [truth[t] for t in ("abcdef", "b0", "b1")]
    # A tail all in T0+1 (read again from that second's start) and one that starts in T0.
    assert [line.cursor for line in read(lines_across_a_second(), tail=3)] == [
        truth[t] for t in ("abcdef", "b0", "b1")
    ]
    head = read(lines_across_a_second(), tail=5)
    assert [line.text for line in head] == ["a9", "abcdef", "b0", "b1"]
    assert [line.cursor for line in head] == [truth[line.text] for line in head]


def numbered(seconds: list[list[str]]) -> list[LogLine]:
    """Lines of consecutive whole seconds from T0, numbered within each second."""
    out = []
    for offset, texts in enumerate(seconds):
        stamp = DockerTime.from_seconds(T0 + offset).text
        out += [LogLine(1, Cursor(stamp, i), text) for i, text in enumerate(texts)]
    return out


def test_a_follow_that_skipped_lines_at_the_end_is_completed_and_counted():
    # What the log has: 3 seconds. What the follow read (numbered as it read them): all of the
    # first, the second with lines c and e left out, the last one only up to "x".
    logged = numbered([["a1", "a2"], ["b", "c", "d", "e", "f"], ["w", "x", "y", "z"]])
    read = numbered([["a1", "a2"], ["b", "d", "f"], ["w", "x"]])
    tally = FollowTally()
    tally.add(read[:3])
    tally.add(read[3:])  # (in two batches, as the follow hands them over)
    assert tally.first_second == logged[0].cursor.timestamp
    newer, skipped = tally.reconcile(logged)
    assert [line.text for line in newer] == ["y", "z"]
    # Their cursors are the log's: after the last line read, in order.
    assert newer[0].cursor > read[-1].cursor and newer[0].cursor.ordinal == 2
    assert skipped == 2


def test_the_last_second_is_placed_by_its_texts_not_by_its_count():
    # The follow read 3 lines of the last second, but left out two before its last one: the
    # lines after it are the log's after "e", not after its third line.
    logged = numbered([["a", "b", "c", "d", "e", "f", "g"]])
    read = numbered([["a", "b", "e"]])
    tally = FollowTally()
    tally.add(read)
    newer, skipped = tally.reconcile(logged)
    assert [line.text for line in newer] == ["f", "g"] and skipped == 2
    # A line the log does not have (the stream joined two pieces) is passed by; repeated texts
    # take the first place after the one before.
    tally = FollowTally()
    tally.add(numbered([["x", "a", "joined", "x"]]))
    newer, skipped = tally.reconcile(numbered([["x", "a", "b", "x", "x", "tail"]]))
    assert [line.text for line in newer] == ["x", "tail"] and skipped == 1


def test_a_follow_that_read_everything_has_nothing_to_add():
    logged = numbered([["a", "b"], ["c"]])
    tally = FollowTally()
    tally.add(logged)
    assert tally.reconcile(logged) == ([], 0)
    # Only the last seconds are kept (the read at the end starts at the oldest kept).
    tally = FollowTally(keep=2)
    tally.add(numbered([["a"], ["b"], ["c"]]))
    assert tally.first_second == DockerTime.from_seconds(T0 + 1).text

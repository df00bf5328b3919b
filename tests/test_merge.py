"""The pure merge of several containers' lines (no Docker): runs, streams, the reorder window."""

from __future__ import annotations

import asyncio
import random

from littlewings_jupyter.parsing.lines import Cursor, LogLine
from littlewings_jupyter.parsing.merge import EXACT_LINES, merge_runs, merge_streams
from littlewings_jupyter.parsing.times import DockerTime
from littlewings_jupyter.session.reorder import Reorderer

BASE = 1_764_126_431_000_000_000


def line(ms: float, text: str, ordinal: int = 0, partial: bool = False) -> LogLine:
    return LogLine(1, Cursor(DockerTime(BASE + int(ms * 1_000_000)).text, ordinal), text, partial)


def flat(runs):
    return [(member, item.text) for member, lines in runs for item in lines]


def test_exact_merge_interleaves_by_timestamp_and_ties_by_member_order():
    a = [line(0, "a0"), line(5, "a5"), line(5, "a5b", 1), line(10, "a10")]
    b = [line(3, "b3"), line(5, "b5"), line(20, "b20")]
    runs = merge_runs([("a", a), ("b", b)])
    assert flat(runs) == [
        ("a", "a0"),
        ("b", "b3"),
        ("a", "a5"),
        ("a", "a5b"),
        ("b", "b5"),
        ("a", "a10"),
        ("b", "b20"),
    ]
    # Consecutive lines of one member are one run.
    assert [m for m, _ in runs] == ["a", "b", "a", "b", "a", "b"]


def test_a_flood_is_merged_in_runs_not_line_by_line():
    rng = random.Random(7)
    sources = []
    for name in "abcd":
        times = sorted(rng.uniform(0, 1000) for _ in range(EXACT_LINES))
        sources.append((name, [line(t, f"{name}{i}") for i, t in enumerate(times)]))
    runs = merge_runs(sources)
    assert sum(len(lines) for _, lines in runs) == 4 * EXACT_LINES
    assert len(runs) < EXACT_LINES // 2  # exact would be about one run per line
    # Time order holds at the 10 ms grain: no line comes after one 10 ms newer than it.
    stamps = [item.cursor.time.ns for _, lines in runs for item in lines]
    newest = 0
    for ns in stamps:
        assert ns >= newest - 10_000_000
        newest = max(newest, ns)
    # Each member's lines keep their order.
    for name, lines in sources:
        assert [i.text for m, ls in runs if m == name for i in ls] == [i.text for i in lines]


def test_a_split_line_is_never_cut_between_runs():
    a = [line(0, "a-piece", partial=True), line(0, "a-end", 1), line(9, "a9")]
    b = [line(0, "b0")]
    runs = merge_runs([("b", b), ("a", a)])
    texts = flat(runs)
    assert texts.index(("a", "a-end")) == texts.index(("a", "a-piece")) + 1


def test_streams_merge_batch_by_batch():
    a = [line(t, f"a{t}") for t in range(0, 100, 2)]
    b = [line(t, f"b{t}") for t in range(1, 100, 2)]
    batches_a = iter([a[i : i + 7] for i in range(0, len(a), 7)])
    batches_b = iter([b[i : i + 13] for i in range(0, len(b), 13)])
    chunks = list(merge_streams([("a", batches_a), ("b", batches_b)]))
    assert len(chunks) > 1
    texts = [text for chunk in chunks for _, text in flat(chunk)]
    assert texts == [f"{'a' if t % 2 == 0 else 'b'}{t}" for t in range(100)]


async def test_the_reorder_window_puts_late_arrivals_in_place():
    out = []
    loop = asyncio.get_running_loop()
    reorder = Reorderer(loop, 0.1, out.append)
    reorder.add("a", [line(10, "a10"), line(30, "a30")])
    await asyncio.sleep(0.03)
    reorder.add("b", [line(5, "b5"), line(20, "b20")])  # older lines, arrived later
    await asyncio.sleep(0.25)
    assert [text for runs in out for _, text in flat(runs)] == ["b5", "a10", "b20", "a30"]
    reorder.close()


async def test_no_window_sends_at_once():
    out = []
    reorder = Reorderer(asyncio.get_running_loop(), 0, out.append)
    reorder.add("a", [line(10, "a10")])
    assert flat(out[0]) == [("a", "a10")]


def test_a_task_gone_from_the_list_is_named_alike_everywhere():
    """A service's line from a task the task list no longer has gets one name, in a live view,
    its history, a download and the kernel (the history called it by its bare id before)."""
    from littlewings_jupyter.session.groups import task_ref, unlisted_task

    task = unlisted_task("web", "3f2a9c1d0b7e55aa66bb")
    assert task == {"id": "3f2a9c1d0b7e55aa66bb", "name": "web.3f2a9c1d0b7e"}
    assert (task_ref(task).id, task_ref(task).name) == (task["id"], "web.3f2a9c1d0b7e")


def test_dockers_words_in_a_service_log_become_a_marker_naming_the_node():
    from littlewings_jupyter.session.groups import engine_marker

    said = (
        "Error grabbing logs: rpc error: code = Unknown desc = warning: incomplete log stream. "
        "some logs could not be retrieved for the following reasons: node uvnej3i26e7d1dgjpehy "
        "is not available, task r8dr35r53uogr6yqfz6a has not been scheduled"
    )
    marker = engine_marker(said, {"uvnej3i26e7d1dgjpehy": "lw-node-3"})
    assert marker == {
        "type": "marker",
        "event": "incomplete",
        "message": "Docker could not read every task's log: node lw-node-3 is not available, "
        "task r8dr35r53uogr6yqfz6a has not been scheduled",
    }
    cancelled = "Error grabbing logs: rpc error: code = Canceled desc = context canceled"
    assert engine_marker(cancelled, {}) == {
        "type": "marker",
        "event": "engine_error",
        "message": "Docker, reading the service's log: context canceled",
    }


def test_a_prefetch_joins_what_was_read_ahead_and_ends_or_fails_after_it():
    import threading
    import time as clock

    from littlewings_jupyter.session.groups import Prefetch

    def batches():
        for i in range(5):
            yield [line(i, f"x{i}")]
        raise ConnectionError("the stream broke")

    source = Prefetch(batches())
    clock.sleep(0.2)  # (all five read ahead)
    assert [x.text for x in next(source)] == ["x0", "x1", "x2", "x3", "x4"]
    try:
        next(source)
        raise AssertionError("the error was not raised")
    except ConnectionError as e:
        assert "broke" in str(e)

    closed = threading.Event()

    def endless():
        try:
            while True:
                yield [line(0, "y")]
        finally:
            closed.set()

    stopped = Prefetch(endless(), depth=2)
    assert next(stopped)[0].text == "y"
    stopped.close()
    assert closed.wait(5), "closing a prefetch closes the stream it reads"

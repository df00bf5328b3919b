"""Server-side search through the whole history (real Docker): plain and regex, case, time
range, stream, level, context lines, progress, the limit, cancel; the lines around a match."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from littlewings_jupyter.errors import InvalidMessage
from littlewings_jupyter.parsing.lines import Cursor, LogLine
from littlewings_jupyter.session.search import SearchQuery, scan

pytestmark = pytest.mark.both_engines  # (its Docker tests run on Podman too)

BASE = "2026-12-03T06:00:00.000000000Z"


def line(n: int, text: str, stream: int = 1) -> LogLine:
    return LogLine(stream, Cursor(f"2026-12-03T06:00:{n // 1000:02d}.{n % 1000:03d}000000Z"), text)


def run_scan(query: SearchQuery, chunks: Any) -> tuple[list[Any], Any, str]:
    matches, end = [], None
    for kind, value in scan(query, chunks):
        if kind == "matches":
            matches.extend(value)
        elif kind == "end":
            end = value
    assert end is not None
    return matches, end[0], end[1]


def test_plain_text_is_case_insensitive_and_literal():
    lines = [line(i, t) for i, t in enumerate(["a.b", "AXB", "x A.B y", "nothing"])]
    matches, progress, reason = run_scan(SearchQuery("a.b"), [[(None, lines)]])
    assert [m.line.text for m in matches] == ["a.b", "x A.B y"]
    assert progress.scanned == 4 and progress.matches == 2 and reason == "done"
    matches, _, _ = run_scan(SearchQuery("a.b", regex=True), [[(None, lines)]])
    assert [m.line.text for m in matches] == ["a.b", "AXB", "x A.B y"]
    matches, _, _ = run_scan(SearchQuery("A.B", case_sensitive=True), [[(None, lines)]])
    assert [m.line.text for m in matches] == ["x A.B y"]


def test_a_regex_never_matches_across_two_lines():
    lines = [line(0, "end of one"), line(1, "start of two")]
    matches, _, _ = run_scan(SearchQuery(r"one\nstart", regex=True), [[(None, lines)]])
    assert matches == []
    matches, _, _ = run_scan(SearchQuery(r"one\s*$", regex=True), [[(None, lines)]])
    assert [m.line.text for m in matches] == ["end of one"]


def test_context_lines_cross_batches_and_stay_with_their_container():
    a = [line(i, f"a{i}") for i in range(10)]
    b = [line(i, f"b{i}") for i in range(10)]
    chunks = [[("A", a[:5]), ("B", b[:5])], [("A", a[5:]), ("B", b[5:])]]
    matches, _, _ = run_scan(SearchQuery("a4", context=2), chunks)
    assert len(matches) == 1
    m = matches[0]
    assert [x.text for x in m.before] == ["a2", "a3"]
    assert [x.text for x in m.after] == ["a5", "a6"]
    matches, _, _ = run_scan(SearchQuery("a5", context=2), chunks)
    assert [x.text for x in matches[0].before] == ["a3", "a4"]


def test_stream_level_and_limit():
    lines = [
        line(0, '{"level":"error","msg":"disk full"}'),
        line(1, "WARN disk almost full"),
        line(2, "disk ok", stream=2),
        line(3, "INFO disk checked"),
    ]
    found, _, _ = run_scan(
        SearchQuery("disk", levels=frozenset({"error", "warn"})), [[(None, lines)]]
    )
    assert [m.line.cursor for m in found] == [lines[0].cursor, lines[1].cursor]
    found, _, _ = run_scan(SearchQuery("disk", stream=2), [[(None, lines)]])
    assert [m.line.text for m in found] == ["disk ok"]
    found, progress, reason = run_scan(SearchQuery("disk", limit=2), [[(None, lines)]])
    assert len(found) == 2 and reason == "limit" and progress.matches == 2


def test_bad_queries_say_what_is_wrong():
    with pytest.raises(InvalidMessage, match="not a valid regular expression"):
        SearchQuery("(", regex=True)
    with pytest.raises(InvalidMessage, match="'level' must be among"):
        SearchQuery("x", levels=frozenset({"loud"}))
    with pytest.raises(InvalidMessage, match="'context' must be 0 to 20"):
        SearchQuery("x", context=99)
    with pytest.raises(InvalidMessage, match="'query' must be"):
        SearchQuery("")


# -- against Docker, over the WebSocket ------------------------------------------------------


@pytest.mark.docker
async def test_search_finds_a_line_far_back_with_context_and_progress(lw_client, make_container):
    # (stdout and stderr are read by Docker apart: a stderr line can be logged before the
    # stdout lines still in the pipe, so the context test stays on stdout.)
    container = make_container(
        "seq 1 200000 | sed 's/^/line /'; echo 'ERROR: the needle here'; "
        "seq 200001 200100 | sed 's/^/line /'; sleep 1; echo 'warning: a needle' >&2; "
        "sleep 3600"
    )
    await asyncio.sleep(4)
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name, "tail": 10}, "connected")
    await client.until("history_end")
    await client.send({"type": "search", "id": "s1", "query": "NEEDLE", "stream": "stderr"})
    end = await client.until(lambda f: f.get("type") == "search_end", timeout=60)
    results = [
        m for f in client.received if f.get("type") == "search_results" for m in f["matches"]
    ]
    assert [r["line"] for r in results] == ["warning: a needle"]
    assert results[0]["stream"] == "stderr" and results[0]["level"] == "warn"
    assert end["complete"] and end["matches"] == 1 and end["scanned"] == 200102
    # Context: the lines around it, in order; a regex over both streams.
    await client.send(
        {
            "type": "search",
            "id": "s2",
            "query": r"the needle|^line 200001$",
            "regex": True,
            "context": 2,
        }
    )
    end = await client.until(lambda f: f.get("type") == "search_end" and f["id"] == "s2", 60)
    results = [
        m
        for f in client.received
        if f.get("type") == "search_results" and f["id"] == "s2"
        for m in f["matches"]
    ]
    assert [r["line"] for r in results] == ["ERROR: the needle here", "line 200001"]
    assert results[0]["before"] == ["line 199999", "line 200000"]
    assert results[0]["after"] == ["line 200001", "line 200002"]
    assert results[0]["level"] == "error"
    assert end["scanned"] == 200102 and end["first"] <= end["reached"]
    # The lines around a match, to jump to it.
    around = await client.request(
        {"type": "context", "cursor": results[0]["cursor"], "before": 3, "after": 3},
        "context",
        timeout=60,  # (it reads the log around the line: seconds at load 7)
    )
    texts = [x["line"] for x in around["lines"]]
    assert texts[around["index"]] == "ERROR: the needle here"
    assert texts == [
        "line 199998",
        "line 199999",
        "line 200000",
        "ERROR: the needle here",
        "line 200001",
        "line 200002",
        "line 200003",
    ]


@pytest.mark.docker
async def test_the_lines_around_a_line_printed_in_two_goes(lw_client, make_container):
    # "Installing... " and, 2.5 s later, "done": Podman logs the two pieces apart, each at its
    # own second. A read from the later second gets "done" alone; the line's place (its last
    # piece's) is the same in every read, and the lines around show it whole.
    container = make_container(
        "seq 1 3; printf 'Installing... '; sleep 2.5; echo done; seq 4 6; sleep 3600"
    )
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    await client.until(lambda f: f.get("type") == "log" and "6\n" in f["data"], timeout=20)
    await client.send({"type": "search", "id": "s", "query": r"^(4|Installing.*)$", "regex": True})
    await client.until(lambda f: f.get("type") == "search_end", timeout=30)
    found = [m for f in client.received if f.get("type") == "search_results" for m in f["matches"]]
    assert [m["line"] for m in found] == ["Installing... done", "4"]
    for match, before, expected in [
        (found[0], 2, ["2", "3", "Installing... done", "4", "5"]),
        # One line before "4": the one-second window before it holds only the end, "done".
        (found[1], 1, ["Installing... done", "4", "5", "6"]),
    ]:
        around = await client.request(
            {"type": "context", "cursor": match["cursor"], "before": before, "after": 2},
            "context",
            timeout=60,
        )
        assert [x["line"] for x in around["lines"]] == expected
        assert around["index"] == before


@pytest.mark.docker
async def test_time_range_cancel_and_refusals(lw_client, make_container):
    container = make_container("echo early match; sleep 2; echo late match; sleep 3600")
    await asyncio.sleep(2.5)
    client = await lw_client()
    connected = await client.request(
        {"type": "connect", "server_id": container.name, "tail": "all", "timestamps": True},
        "connected",
    )
    assert connected
    await client.until("history_end")
    stamps = [
        text.split(" ")[0]
        for f in client.received
        if f.get("type") == "log"
        for text in f["data"].splitlines()
    ]
    await client.send({"type": "search", "id": "t", "query": "match", "since": stamps[1]})
    await client.until(lambda f: f.get("type") == "search_end", 20)
    texts = [
        m["line"]
        for f in client.received
        if f.get("type") == "search_results"
        for m in f["matches"]
    ]
    assert texts == ["late match"]
    bad = await client.request({"type": "search", "query": "(", "regex": True}, "never")
    assert bad["code"] == "invalid_message" and "regular expression" in bad["message"]
    bad = await client.request({"type": "search_cancel", "search": "nope"}, "never")
    assert "No search 'nope'" in bad["message"]

    # Cancel a long search: it ends with reason cancelled.
    flood = make_container("seq 1 3000000; sleep 3600")
    await asyncio.sleep(4)
    other = await lw_client()
    await other.request({"type": "connect", "server_id": flood.name, "tail": 0}, "connected")
    await other.send({"type": "search", "id": "long", "query": "no such thing"})
    await other.until("search_started")
    await other.until("search_progress", 30)  # under way (on a loaded machine 0.3 s was not)
    await other.send({"type": "search_cancel", "search": "long", "id": "c"})
    end = await other.until(lambda f: f.get("type") == "search_end", 20)
    assert end["reason"] == "cancelled" and not end["complete"]
    assert 0 < end["scanned"] < 3_000_000


@pytest.mark.docker
async def test_search_in_a_merged_view_marks_the_container(lw_client, make_container):
    project = f"lwsearch{uuid.uuid4().hex[:6]}"
    labels = lambda s: {  # noqa: E731
        "com.docker.compose.project": project,
        "com.docker.compose.service": s,
        "com.docker.compose.container-number": "1",
    }
    make_container(
        "echo hello from api; echo boom in api; sleep 3600",
        name=f"{project}-api-1",
        labels=labels("api"),
    )
    make_container(
        "sleep 0.3; echo boom in db; sleep 3600", name=f"{project}-db-1", labels=labels("db")
    )
    await asyncio.sleep(1)
    client = await lw_client()
    await client.request({"type": "connect", "project": project, "tail": 0}, "connected")
    await client.until("history_end")
    await client.send({"type": "search", "id": "m", "query": "boom", "context": 1})
    await client.until(lambda f: f.get("type") == "search_end", 20)
    results = [
        m for f in client.received if f.get("type") == "search_results" for m in f["matches"]
    ]
    assert [(r["container"], r["line"]) for r in results] == [
        (f"{project}-api-1", "boom in api"),
        (f"{project}-db-1", "boom in db"),
    ]
    assert results[0]["before"] == ["hello from api"]
    around = await client.request(
        {"type": "context", "cursor": results[1]["cursor"], "container": f"{project}-db-1"},
        "context",
    )
    assert [x["line"] for x in around["lines"]] == ["boom in db"]


async def test_search_needs_a_connection(lw_client):
    client = await lw_client()
    reply = await client.request({"type": "search", "query": "x"}, "never")
    assert reply["code"] == "not_connected"


@pytest.mark.docker
async def test_search_over_rest(jp_fetch, make_container):
    import json

    from tornado.httpclient import HTTPClientError

    container = make_container(
        'for i in 1 2 3; do echo "GET /a $i"; echo \'{"level":"error","msg":"db down"}\'; done; '
        "sleep 3600"
    )
    await asyncio.sleep(1)
    answer = json.loads(
        (
            await jp_fetch(
                "api",
                "littlewings",
                "containers",
                container.name,
                "search",
                params={"query": "down", "level": "error", "context": "1", "limit": "2"},
            )
        ).body
    )
    assert [m["line"] for m in answer["matches"]] == ['{"level":"error","msg":"db down"}'] * 2
    assert answer["matches"][0]["before"] == ["GET /a 1"] and answer["reason"] == "limit"
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "api",
            "littlewings",
            "containers",
            container.name,
            "search",
            params={"query": "(", "regex": "1"},
        )
    assert info.value.code == 400
    assert "regular expression" in json.loads(info.value.response.body)["message"]


@pytest.mark.docker
def test_search_from_python(make_container):
    import littlewings_jupyter as lw

    box = make_container("seq 1 5000 | sed 's/^/n /'; echo 'Oops: It broke'; sleep 3600")
    import time

    end = time.monotonic() + 10
    while "It broke" not in box.logs().decode():
        assert time.monotonic() < end
        time.sleep(0.1)
    c = lw.container(box.name)
    found = c.search("it BROKE", context=2)
    assert len(found) == 1 and found[0].line.text == "Oops: It broke"
    assert [x.text for x in found[0].before] == ["n 4999", "n 5000"] and found[0].after == []
    assert [m.line.text for m in c.search(r"^n 4\d{3}$", regex=True, limit=3)] == [
        "n 4000",
        "n 4001",
        "n 4002",
    ]
    assert c.search("it BROKE", case_sensitive=True) == []

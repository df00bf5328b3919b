"""The notebook-side Python API (``import littlewings_jupyter as lw``) against a real engine."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import littlewings_jupyter as lw
from littlewings_jupyter.kernel.client import Client

pytestmark = [pytest.mark.docker, pytest.mark.both_engines]

# What reads a follow: the follower thread of the container's Docker log stream, and the loop of
# the client's kernel runtime its session runs on (both end with the client's last follow).
READER_THREADS = ("littlewings-logs", "littlewings-kernel")


@pytest.fixture
def client() -> Iterator[Client]:
    """A client of the test engine (from the environment), closed after the test."""
    with lw.Client() as c:
        yield c


def reader_threads() -> list[threading.Thread]:
    """The log reader threads of this process that are still alive."""
    return [t for t in threading.enumerate() if t.name in READER_THREADS and t.is_alive()]


def wait_no_reader_threads(timeout: float = 5) -> None:
    """Wait until every follow's reader thread has ended; fail with their names otherwise."""
    deadline = time.monotonic() + timeout
    while reader_threads():
        if time.monotonic() > deadline:
            raise AssertionError(f"reader threads left: {reader_threads()}")
        time.sleep(0.02)


def open_sockets() -> int:
    """Sockets this process holds open (Linux)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def wait_for_log(c: Any, text: str, timeout: float = 10) -> str:
    """Poll a container's log until ``text`` is in it."""
    deadline = time.monotonic() + timeout
    while True:
        logs = c.logs()
        if text in logs:
            return logs
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared; log: {logs[-500:]!r}")
        time.sleep(0.05)


# -- import and connection ------------------------------------------------------------------------


def test_importing_the_package_contacts_no_docker_and_loads_no_api() -> None:
    code = (
        "import sys, littlewings_jupyter as lw\n"
        "lw._jupyter_server_extension_points()\n"
        "assert 'littlewings_jupyter.kernel.client' not in sys.modules, 'api imported eagerly'\n"
        "print(sorted(set(lw.__all__) - set(dir(lw))))\n"
    )
    # An engine that cannot answer: importing must still work (and not try it).
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_public_names_are_exported_and_documented() -> None:
    for name in lw.__all__:
        value = getattr(lw, name)
        if name != "__version__":
            assert (value.__doc__ or "").strip(), f"lw.{name} has no docstring"
    for cls in (lw.Client, lw.Container, lw.ContainerList, lw.LogFollow, lw.ExecResult, lw.Line):
        for attr, member in vars(cls).items():
            if not attr.startswith("_") and (callable(member) or isinstance(member, property)):
                assert (member.__doc__ or "").strip(), f"{cls.__name__}.{attr} has no docstring"


def test_an_unreachable_engine_is_a_clear_error() -> None:
    with pytest.raises(lw.EngineUnavailable) as info:
        lw.Client("unix:///nonexistent/docker.sock").containers()
    assert "not reachable" in info.value.message
    assert "lw.connect(base_url=" in info.value.message
    with pytest.raises(lw.EngineUnavailable):
        lw.connect("unix:///nonexistent/docker.sock")


def test_connect_sets_the_default_engine(make_container: Any) -> None:
    made = make_container("sleep 3600")
    client = lw.connect(os.environ.get("DOCKER_HOST"))
    try:
        assert lw.default_client() is client
        assert lw.container(made.name).status == "running"
        assert made.name in lw.containers(label=f"littlewings.run={make_container.run_id}").names
    finally:
        client.close()


# -- listing --------------------------------------------------------------------------------------


def test_containers_lists_filters_and_shows_state_badges(
    client: Client, make_container: Any
) -> None:
    running = make_container("sleep 3600", labels={"role": "web"})
    created = make_container(start=False, labels={"role": "db"})
    mine = f"littlewings.run={make_container.run_id}"

    listed = client.containers(label=mine)
    assert sorted(listed.names) == sorted([running.name, created.name])
    assert client.containers(label=[mine, "role=web"]).names == [running.name]
    assert client.containers(label=mine, state="created").names == [created.name]
    assert client.containers(label=mine, all=False).names == [running.name]
    assert client.containers(name=f"lwtest-{make_container.run_id}-1", label=mine).names == [
        created.name
    ]
    assert client.containers(name="no-such-*", label=mine) == []
    assert listed.get(running.name) == client.container(running.id)

    html = listed._repr_html_()
    assert running.name in html and created.name in html
    assert "jp-LittleWings-badge-running" in html and ">running</span>" in html
    assert "jp-LittleWings-badge-created" in html
    text = repr(listed)
    assert text.splitlines()[0].split()[:2] == ["NAME", "STATE"]
    assert any(running.name in row and "running" in row for row in text.splitlines())


def test_html_escapes_what_docker_reports(client: Client, make_container: Any) -> None:
    made = make_container("sleep 3600", labels={"com.docker.compose.project": "<b>x</b>"})
    html = client.container(made.name)._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_missing_and_hidden_containers_are_not_found(client: Client, make_container: Any) -> None:
    with pytest.raises(lw.ContainerNotFound) as info:
        client.container("lw-no-such-container")
    assert info.value.message == "No container 'lw-no-such-container' (or you may not see it)."

    made = make_container("sleep 3600")
    hidden = lw.Client(visible_labels=["littlewings.never-set"])
    with pytest.raises(lw.ContainerNotFound):
        hidden.container(made.name)
    assert made.name not in hidden.containers().names
    narrow = lw.Client(visible_names=[made.name])
    assert narrow.containers().names == [made.name]


# -- logs -----------------------------------------------------------------------------------------


def test_logs_text_tail_timestamps_and_streams_apart(client: Client, make_container: Any) -> None:
    made = make_container(
        "echo one; echo two; sleep 0.2; echo oops >&2; sleep 0.2; echo three; sleep 3600"
    )
    c = client.container(made.name)
    logs = wait_for_log(c, "three")
    assert logs == "one\ntwo\noops\nthree\n"
    assert c.logs(tail=1) == "three\n"
    assert c.logs(stream="stderr") == "oops\n"
    assert c.logs(stream="stdout") == "one\ntwo\nthree\n"
    stamped = c.logs(tail=1, timestamps=True)
    assert stamped.endswith("Z three\n") and stamped[:4].isdigit()

    lines = c.log_lines()
    assert [(line.stream, line.text) for line in lines] == [
        ("stdout", "one"),
        ("stdout", "two"),
        ("stderr", "oops"),
        ("stdout", "three"),
    ]
    assert str(lines[0]) == "one" and lines[0].timestamp.endswith("Z")
    assert lines[0].time.year >= 2024
    # A line as `since` resumes right after it.
    assert c.logs(since=lines[1]) == "oops\nthree\n"
    assert c.logs(since="1h") == logs
    with pytest.raises(ValueError, match="since must be"):
        c.logs(since="yesterday-ish")


# -- follow ---------------------------------------------------------------------------------------


def test_follow_delivers_live_lines_and_break_closes_the_stream(
    client: Client, make_container: Any
) -> None:
    made = make_container("i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done")
    c = client.container(made.name)
    wait_for_log(c, "tick 2")
    sockets_before = open_sockets()
    for _ in range(3):
        got = []
        for line in c.follow(timeout=20):
            got.append(line)
            if len(got) == 3:
                break
        assert [line.text.split()[0] for line in got] == ["tick"] * 3
        assert all(line.stream == "stdout" for line in got)
        numbers = [int(line.text.split()[1]) for line in got]
        assert numbers == sorted(numbers) and numbers[0] > 2  # live lines, not history
        wait_no_reader_threads()
    # Held in a variable and left with break: still closed.
    follow = c.follow(timeout=20)
    for _ in follow:
        break
    assert follow.closed and follow.reason == "closed" and not follow.active
    wait_no_reader_threads()
    assert open_sockets() <= sockets_before + 1  # the pool may keep one idle connection


def test_follow_stops_on_timeout_and_idle_timeout(client: Client, make_container: Any) -> None:
    made = make_container("while true; do echo tick; sleep 0.2; done")
    c = client.container(made.name)
    started = time.monotonic()
    follow = c.follow(timeout=1.0)
    lines = list(follow)
    assert 0.9 <= time.monotonic() - started < 5
    assert lines and follow.reason == "timeout"
    wait_no_reader_threads()

    # Nothing on stderr: the idle timeout ends it although stdout is busy.
    started = time.monotonic()
    follow = c.follow(idle_timeout=0.5, stream="stderr")
    assert list(follow) == []
    assert follow.reason == "idle" and time.monotonic() - started < 5
    wait_no_reader_threads()


def test_follow_stops_when_the_container_exits(client: Client, make_container: Any) -> None:
    made = make_container("echo first; sleep 1; echo last >&2; exit 3")
    c = client.container(made.name)
    started = time.monotonic()
    follow = c.follow(tail=None, timeout=60)
    lines = [(line.stream, line.text) for line in follow]
    assert lines == [("stdout", "first"), ("stderr", "last")]
    assert follow.reason == "exited"
    assert time.monotonic() - started < 10
    wait_no_reader_threads()
    assert c.status == "exited" and c.info["exit_code"] == 3


def test_follow_stops_when_the_container_is_removed(client: Client, make_container: Any) -> None:
    made = make_container("while true; do echo tick; sleep 0.2; done")
    c = client.container(made.name)
    follow = c.follow(timeout=60)
    timer = threading.Timer(0.5, lambda: made.remove(force=True))
    timer.start()
    try:
        assert len(list(follow)) >= 1
    finally:
        timer.join()
    assert follow.reason == "removed"
    wait_no_reader_threads()
    with pytest.raises(lw.ContainerNotFound, match=made.name):
        c.refresh()


def test_follow_as_async_iterator(client: Client, make_container: Any) -> None:
    made = make_container("i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done")
    c = client.container(made.name)

    async def read_three() -> list[str]:
        got = []
        async for line in c.follow(tail=1, timeout=20):
            got.append(line.text)
            if len(got) == 3:
                break
        # The async generator is finalized by the loop right after the break.
        for _ in range(100):
            if not reader_threads():
                break
            await asyncio.sleep(0.02)
        return got

    got = asyncio.run(read_three())
    assert len(got) == 3 and all(text.startswith("tick ") for text in got)
    wait_no_reader_threads()

    async def until_timeout() -> tuple[int, str | None]:
        async with c.follow(timeout=0.5) as follow:
            count = 0
            async for _ in follow:
                count += 1
            return count, follow.reason

    count, reason = asyncio.run(until_timeout())
    assert count >= 1 and reason == "timeout"
    wait_no_reader_threads()


def test_follows_share_one_docker_stream_and_end_with_a_stopped_container(
    client: Client, make_container: Any
) -> None:
    """A follow reads through the client's session core, as widgets do: two follows of one
    container share one Docker log stream; and a follow that joins a stream already waiting
    for a stopped container to start again ends at once, with every line and "exited"."""
    made = make_container("echo one; echo two; sleep 1.5; echo three; exit 0")
    c = client.container(made.name)
    first = c.follow(tail=None, timeout=30)
    second = c.follow(tail=None, timeout=30)
    try:
        # (next_batch, not iter(): leaving a for loop or a dropped iterator closes a follow.)
        assert [line.text for line in first.next_batch(max_lines=1, wait=10) or []] == ["one"]
        runtime = client.acquire_runtime()
        try:
            manager = runtime.manager
            assert manager.registry is client.registry
            deadline = time.monotonic() + 10
            while manager.active_log_streams() != 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert manager.active_log_streams() == 1  # one stream, two readers
            assert [line.text for line in second] == ["one", "two", "three"]
            assert second.reason == "exited"
            # The first follow keeps the stream's follower (waiting for a start) alive: a third
            # follow joins it and ends at once, not at its timeout.
            started = time.monotonic()
            third = c.follow(tail=None, timeout=30)
            assert [line.text for line in third] == ["one", "two", "three"]
            assert third.reason == "exited" and time.monotonic() - started < 10
        finally:
            client.release_runtime(runtime)
    finally:
        first.close()
    wait_no_reader_threads()


def test_client_close_ends_open_follows(make_container: Any) -> None:
    made = make_container("while true; do echo tick; sleep 0.2; done")
    client = lw.Client()
    follow = client.container(made.name).follow()
    assert follow.active
    client.close()
    assert follow.closed and list(follow) == []
    wait_no_reader_threads()


# -- commands and stdin ---------------------------------------------------------------------------


def test_exec_returns_exit_code_and_streams_apart(client: Client, make_container: Any) -> None:
    c = client.container(make_container("sleep 3600").name)
    result = c.exec("echo out; echo err >&2; exit 3")
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.ok
    with pytest.raises(lw.CommandFailed) as info:
        result.check()
    assert "exited with code 3" in info.value.message and "err" in info.value.message

    ok = c.exec(["echo", "a b"])  # argv, no shell
    assert ok.ok and ok.stdout == "a b\n" and ok.check() is ok
    env = c.exec("pwd; echo $GREETING; id -u", workdir="/tmp", env={"GREETING": "hi"}, user="1000")
    assert env.stdout == "/tmp\nhi\n1000\n"
    with pytest.raises(lw.CommandFailed):
        c.exec("exit 1", check=True)

    started = time.monotonic()
    slow = c.exec("echo started; sleep 30", timeout=0.5)
    assert slow.timed_out and slow.exit_code is None and not slow.ok
    assert slow.stdout == "started\n" and time.monotonic() - started < 5
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def test_send_reaches_a_stdin_open_container(client: Client, make_container: Any) -> None:
    made = make_container(command=["/bin/demo-console"], stdin_open=True)
    c = client.container(made.name)
    wait_for_log(c, "console ready")
    with c.follow(timeout=20) as follow:
        c.send("say hi")
        c.send("warn careful")
        seen = []
        for line in follow:
            seen.append((line.stream, line.text))
            if line.text == "demo: warning: careful":
                break
    assert ("stdout", "demo: hi") in seen
    assert ("stderr", "demo: warning: careful") in seen
    wait_no_reader_threads()


def test_send_and_exec_refuse_clearly(client: Client, make_container: Any) -> None:
    c = client.container(make_container("sleep 3600").name)
    with pytest.raises(lw.StdinNotOpen, match=r"not started with stdin open.*\.exec\(\)"):
        c.send("hello")
    stopped = client.container(make_container(start=False).name)
    with pytest.raises(lw.Conflict, match="it is created"):
        stopped.exec("ls")
    read_only = lw.Client(read_only=True).container(c.id)
    for action in (lambda: read_only.stop(), lambda: read_only.exec("ls")):
        with pytest.raises(lw.Forbidden, match="read-only"):
            action()
    assert c.status == "running"


# -- power and stats ------------------------------------------------------------------------------


def test_power_actions_change_the_state(client: Client, make_container: Any) -> None:
    # A shell as PID 1 ignores SIGTERM unless it traps it (else stop waits 10 s, then kills).
    c = client.container(make_container("trap 'exit 0' TERM; while true; do sleep 0.1; done").name)
    assert c.pause().status == "paused"
    assert c.unpause().status == "running"
    assert c.kill().status == "exited"
    assert c.start().status == "running"
    assert c.restart().status == "running"
    c.stop()
    assert c.status == "exited"
    assert c.info["exit_code"] is not None
    assert repr(c).startswith(f"<Container {c.name!r} exited")


def test_a_power_action_the_state_does_not_allow_is_a_clear_conflict(
    client: Client, make_container: Any
) -> None:
    c = client.container(make_container(start=False).name)
    with pytest.raises(lw.Conflict) as info:
        c.stop()
    assert info.value.message == "Cannot stop the container: it is created."
    c.start()
    with pytest.raises(lw.Conflict, match="it is already running"):
        c.start()
    with pytest.raises(lw.Conflict, match="it is not paused"):
        c.unpause()
    assert c.status == "running"


def test_wait_returns_the_exit_code(client: Client, make_container: Any) -> None:
    c = client.container(make_container("sleep 0.5; exit 7").name)
    assert c.wait(timeout=30) == 7
    busy = client.container(make_container("sleep 3600").name)
    assert busy.wait(timeout=0.3) is None


def test_stats_of_a_running_and_a_stopped_container(client: Client, make_container: Any) -> None:
    c = client.container(make_container("sleep 3600").name)
    stats = c.stats()
    assert stats["pids"] >= 1
    assert stats["memory"]["usage"] > 0
    assert set(stats) >= {"cpu_percent", "memory", "network", "block_io", "pids"}
    stopped = client.container(make_container(start=False).name)
    started = time.monotonic()
    assert stopped.stats()["pids"] == 0
    assert time.monotonic() - started < 5

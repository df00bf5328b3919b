"""The WebSocket console against a real Docker engine and a real Jupyter server."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

pytestmark = [pytest.mark.docker, pytest.mark.both_engines]

COUNTER = "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.05; done"


def manager_of(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["littlewings_manager"]


def numbers(text: str, word: str = "line") -> list[int]:
    return [int(n) for n in re.findall(rf"^{word} (\d+)$", text, re.M)]


async def wait_for(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_seed_client_works_unchanged(lw_client, make_container):
    """A LittleWings (seed) client: connect, logs, command, heartbeat — no ids, no extras."""
    container = make_container("echo hello from the seed; sleep 3600")
    client = await lw_client()
    await client.send({"type": "connect", "server_id": container.id})
    connected = await client.until("connected")
    assert connected["container"]["name"] == container.name
    log = await client.until("log")
    assert log["data"] == "hello from the seed\n"
    await client.send({"type": "command", "command": "echo done"})
    output = await client.until("command_output")
    assert output["data"] == "done\n"
    assert (await client.until("command_exit"))["exit_code"] == 0
    await client.send({"type": "heartbeat"})
    beat = await client.until("heartbeat")
    assert "id" not in beat and beat["time"] > 0


async def test_connect_by_name_short_id_and_full_id(lw_client, make_container):
    container = make_container()
    client = await lw_client()
    for ref in (container.name, container.id[:12], container.id):
        reply = await client.request({"type": "connect", "server_id": ref, "tail": 0}, "connected")
        assert reply["container"]["id"] == container.id
        assert reply["protocol"] == 1


async def test_history_then_live_lines_without_gap_or_duplicate(lw_client, make_container):
    container = make_container(COUNTER)
    await asyncio.sleep(1)
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name, "tail": 5}, "connected")
    end = await client.until("history_end")
    assert end["lines"] == 5
    history = numbers(client.logs())
    assert len(history) == 5
    text = await client.log_text(f"line {history[-1] + 30}\n")
    seen = numbers(text)
    assert seen == list(range(seen[0], seen[-1] + 1)), "a line is missing or doubled"
    live = [f for f in client.received if f.get("type") == "log" and not f["history"]]
    assert live and all(f["cursor"] for f in live)


async def test_tail_all_since_and_timestamps(lw_client, make_container):
    container = make_container(
        "for i in 1 2 3; do echo old $i; done; sleep 1.5; echo new; sleep 3600"
    )
    await asyncio.sleep(1)
    middle = time.time()
    await asyncio.sleep(1.5)
    client = await lw_client()
    await client.request(
        {"type": "connect", "server_id": container.name, "tail": "all", "timestamps": True},
        "connected",
    )
    await client.until("history_end")
    lines = client.logs().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["old 1", "old 2", "old 3", "new"]
    assert all(re.match(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ", line) for line in lines)
    client.received.clear()
    await client.request(
        {"type": "connect", "server_id": container.name, "since": middle}, "connected"
    )
    await client.until("history_end")
    assert client.logs() == "new\n"


async def test_stdout_and_stderr_stay_apart(lw_client, make_container):
    container = make_container("echo to-out; echo to-err >&2; echo out-again; sleep 3600")
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    await client.until("history_end")
    assert client.logs("stdout") == "to-out\nout-again\n"
    assert client.logs("stderr") == "to-err\n"


async def test_two_clients_get_the_same_lines_from_one_docker_stream(
    lw_client, make_container, jp_serverapp
):
    container = make_container(COUNTER)
    manager = manager_of(jp_serverapp)
    first, second = await lw_client(), await lw_client()
    for client in (first, second):
        await client.request({"type": "connect", "server_id": container.name}, "connected")
    assert manager.active_log_streams() == 1
    assert len(manager.log_subscribers[container.id]) == 2
    text_first = await first.log_text("line 60\n")
    text_second = await second.log_text("line 60\n")
    # Both saw every line from the second one's first line on, in the same order.
    both_from = max(numbers(text_first)[0], numbers(text_second)[0])
    upto = 60
    assert [n for n in numbers(text_first) if both_from <= n <= upto] == list(range(both_from, 61))
    assert [n for n in numbers(text_second) if both_from <= n <= upto] == list(range(both_from, 61))
    follower = manager.followers[container.id]
    assert follower.streams_opened == 1
    first.close()
    second.close()
    await wait_for(lambda: container.id not in manager.followers)
    await wait_for(lambda: not follower.alive)


async def test_exec_streams_output_and_exit_code(lw_client, make_container):
    container = make_container()
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    started = await client.request(
        {"type": "command", "command": "echo out; echo err >&2; exit 7", "id": "c1"},
        "command_started",
    )
    assert started == {
        "type": "command_started",
        "id": "c1",
        "via": "exec",
        "command": started["command"],
    }
    exit_frame = await client.until("command_exit")
    assert exit_frame["id"] == "c1" and exit_frame["exit_code"] == 7
    outputs = [f for f in client.received if f.get("type") == "command_output"]
    assert all(f["id"] == "c1" for f in outputs)
    assert "".join(f["data"] for f in outputs if f["stream"] == "stdout") == "out\n"
    assert "".join(f["data"] for f in outputs if f["stream"] == "stderr") == "err\n"
    # argv runs without a shell.
    await client.send({"type": "command", "argv": ["echo", "a;b"], "id": 2})
    out = await client.until(lambda f: f.get("type") == "command_output" and f["id"] == 2)
    assert out["data"] == "a;b\n"
    assert (await client.until("command_exit"))["exit_code"] == 0


async def test_exec_in_a_stopped_container_is_a_clear_conflict(lw_client, make_container):
    container = make_container("exit 0")
    container.wait()
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    error = await client.request({"type": "command", "command": "ls"}, "command_started")
    assert error["type"] == "error" and error["code"] == "conflict"
    assert "not running" in error["message"]


async def test_stdin_is_the_default_for_a_console_container(lw_client, make_container):
    container = make_container(command=["demo-console"], stdin_open=True)
    client = await lw_client()
    connected = await client.request({"type": "connect", "server_id": container.name}, "connected")
    assert connected["command_via"] == "stdin"
    await client.until("history_end")
    sent = await client.request({"type": "command", "command": "say hello stdin"}, "command_sent")
    assert sent["via"] == "stdin"
    await client.log_text("demo: hello stdin\n")
    await client.send({"type": "command", "command": "warn careful"})
    await client.until(lambda f: f.get("type") == "log" and f["stream"] == "stderr")
    # exec is still there when asked for.
    await client.send({"type": "command", "command": "echo via exec", "via": "exec", "id": "e"})
    out = await client.until(lambda f: f.get("type") == "command_output" and f["id"] == "e")
    assert out["data"] == "via exec\n"


async def test_stdin_to_a_container_without_stdin_open(lw_client, make_container):
    container = make_container()
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    error = await client.request(
        {"type": "command", "command": "hi", "via": "stdin"}, "command_sent"
    )
    assert error["code"] == "stdin_not_open"
    assert "via" in error["message"]


async def test_power_actions_and_the_status_events_they_cause(lw_client, make_container):
    container = make_container("trap 'exit 0' TERM; while true; do sleep 0.1; done")
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")

    async def power(action: str, expect_state: str, *events: str) -> dict[str, Any]:
        """Run the action; the status frames of the ``events`` it causes, each waited for
        (from before the action), by event. An event of an earlier action that comes late
        (Podman's come 0.1-1 s late) is not one of these: its engine time is before the ask."""
        mark = client.mark()
        asked = time.time()
        reply = await client.request({"type": "power", "action": action}, "power")
        assert reply["type"] == "power", reply
        assert reply["ok"] and reply["state"] == expect_state
        seen = {}
        for event in events:
            seen[event] = await client.until(
                lambda f, e=event: (
                    f.get("type") == "status" and f["event"] == e and f["time"] >= asked
                ),
                since=mark,
            )
            assert seen[event]["container"] == container.id
        return seen

    await power("pause", "paused", "paused")
    error = await client.request({"type": "power", "action": "pause"}, "power")
    assert error["code"] == "conflict" and "already paused" in error["message"]
    await power("unpause", "running", "unpaused")
    # Docker says "die" before "stop", but "kill" before "die": wait for the death itself.
    stopped = await power("stop", "exited", "stopped", "died")
    assert stopped["died"]["exit_code"] == 0
    error = await client.request({"type": "power", "action": "stop"}, "power")
    assert (error["code"] == "conflict" and "not running" in error["message"].lower()) or (
        "exited" in error["message"]
    )
    await power("start", "running", "started")
    # Podman says "restart" before the death and start it causes: wait for the start too, or
    # the restart's death (code 0) may come after the mark of the kill below.
    await power("restart", "running", "restarted", "started")
    killed = await power("kill", "exited", "killed", "died")
    assert killed["died"]["exit_code"] == 137


async def test_logs_resume_after_the_container_exits_and_restarts(lw_client, make_container):
    container = make_container("sleep 1; echo run; echo stopping; exit 3")
    client = await lw_client()
    mark = client.mark()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    await client.log_text("stopping\n")
    died = await client.until(
        lambda f: f.get("type") == "status" and f["event"] == "died", since=mark
    )
    assert died["exit_code"] == 3
    mark = client.mark()
    container.start()  # from outside LittleWings, like `docker start`
    await client.until(lambda f: f.get("type") == "status" and f["event"] == "started", since=mark)
    text = await client.log_text("stopping\nrun\nstopping\n")
    assert text == "run\nstopping\nrun\nstopping\n", "lines lost or doubled across the restart"


async def test_removed_container_is_reported(lw_client, make_container, jp_serverapp):
    container = make_container()
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    container.remove(force=True)
    removed = await client.until(lambda f: f.get("type") == "status" and f["event"] == "removed")
    assert removed["container"] == container.id
    error = await client.request({"type": "command", "command": "ls"}, "command_started")
    assert error["code"] == "not_connected"
    await wait_for(lambda: container.id not in manager_of(jp_serverapp).followers)


async def test_disconnect_and_switch_containers(lw_client, make_container, jp_serverapp):
    one = make_container("echo I am one; sleep 3600")
    two = make_container("echo I am two; sleep 3600")
    client = await lw_client()
    await client.request({"type": "connect", "server_id": one.name}, "connected")
    await client.log_text("I am one")
    await client.send({"type": "connect", "server_id": two.name})
    switched = await client.until("disconnected")
    assert switched["container"] == one.id
    await client.log_text("I am two")
    manager = manager_of(jp_serverapp)
    await wait_for(lambda: one.id not in manager.followers)
    reply = await client.request({"type": "disconnect"}, "disconnected")
    assert reply["container"] == two.id
    await wait_for(lambda: not manager.followers)
    error = await client.request({"type": "power", "action": "stop"}, "power")
    assert error["code"] == "not_connected"


async def test_stats_about_once_a_second(lw_client, make_container):
    container = make_container()
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    await client.request({"type": "stats", "enabled": True}, "stats_enabled")
    stats = await client.until("stats", timeout=15)
    assert {"cpu_percent", "memory", "network", "block_io", "pids"} <= set(stats)
    assert stats["memory"]["usage"] > 0 and stats["pids"] >= 1
    await client.until("stats", timeout=15)


async def test_stats_of_a_busy_loop(lw_client, make_container):
    """One busy shell loop: at most one core's worth of CPU, sampled about once a second (on
    Podman too: its compatible endpoint samples every 5 s and read about 100 times the cores)."""
    container = make_container("while :; do :; done")
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    await client.request({"type": "stats", "enabled": True}, "stats_enabled")
    samples = [await client.until("stats", timeout=15) for _ in range(4)]  # (each a new one)
    cpu = [s["cpu_percent"] for s in samples[1:]]  # (the first may have no earlier sample)
    assert all(0 <= c <= 110 for c in cpu) and max(cpu) > 1, cpu
    gaps = [b["time"] - a["time"] for a, b in zip(samples, samples[1:])]
    assert max(gaps) < 3, gaps


async def test_list_and_container_events(lw_client, make_container, engine_kind):
    client = await lw_client()
    await client.request({"type": "events", "enabled": True}, "events")
    container = make_container()
    event = await client.until(
        lambda f: (
            f.get("type") == "container_event"
            and f["event"] == "started"
            and f["container"]["id"] == container.id
        )
    )
    assert event["container"]["state"] == "running"
    listing = await client.request({"type": "list"}, "containers")
    assert container.id in [c["id"] for c in listing["containers"]]
    # Which engine answers, and its release (the sidebar's engine header says it).
    [engine] = listing["engines"]
    assert engine["kind"] == engine_kind and engine["version"], engine


async def test_a_containers_events_arrive_in_their_order(lw_client, make_container):
    """Create, start and remove at once: each container's last event is its removal (the
    earlier ones are published after an inspection; the removal needs none and must not
    overtake them, or a list would show the container again)."""
    client = await lw_client()
    await client.request({"type": "events", "enabled": True}, "events")
    boxes = [make_container("sleep 3600") for _ in range(20)]
    for box in boxes:
        box.remove(force=True)
    ids = {box.id for box in boxes}
    removed: set[str] = set()
    while removed != ids:
        frame = await client.until(
            lambda f: f.get("type") == "container_event" and f["container"]["id"] in ids,
            timeout=30,
        )
        assert frame["container"]["id"] not in removed, f"an event after the removal: {frame}"
        if frame["event"] == "removed":
            removed.add(frame["container"]["id"])
    late = []  # anything published out of order would come within these 2 s
    deadline = time.monotonic() + 2
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = await client.recv(timeout=left)
        except asyncio.TimeoutError:
            break
        if frame and frame.get("type") == "container_event" and frame["container"]["id"] in ids:
            late.append(frame)
    assert late == [], late


async def test_resume_from_a_cursor_gets_exactly_the_missed_lines(lw_client, make_container):
    container = make_container(COUNTER)
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name, "tail": 0}, "connected")
    # Any whole line will do: the counter may be far past 10 when the connect begins (tail=0),
    # and "line 10" would then only come as "line 110" — late on a loaded machine.
    text = await client.log_text("\n", timeout=30)
    last_frame = [f for f in client.received if f.get("type") == "log"][-1]
    last_seen = numbers(text)[-1]
    client.close()
    await asyncio.sleep(1)  # lines go by while we are away
    again = await lw_client()
    await again.request(
        {"type": "connect", "server_id": container.name, "cursor": last_frame["cursor"]},
        "connected",
    )
    text = await again.log_text(f"line {last_seen + 40}\n", timeout=30)
    # (The last frame may hold a few lines more: an engine may hand lines over in bursts.)
    got = numbers(text)
    assert got == list(range(last_seen + 1, last_seen + 1 + len(got))) and len(got) >= 40


async def test_fast_output_is_batched_and_complete(lw_client, make_container):
    container = make_container("sleep 1; seq 1 20000; sleep 3600")
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name, "tail": 0}, "connected")
    text = await client.log_text("\n20000\n", timeout=30)
    got = [int(n) for n in text.split()]
    assert got[-1] == 20000 and got == list(range(got[0], 20001))
    frames = [f for f in client.received if f.get("type") == "log"]
    assert len(frames) < len(got) / 10, "lines should be batched into few frames"


async def test_a_burst_right_before_the_exit_comes_whole_or_told(lw_client, make_container):
    # Podman 4.3 ends a follow when the container exits before it has sent every line, and
    # skips lines in its last part (of 90,000 lines printed at once, a follow read about 45,000),
    # even joining the piece of one line to the rest of another: the follower reads the rest
    # from the log and says how many the stream left out. Docker's stream has them all.
    # (90,000: under the default throttle of 100,000 lines a second; -w: five digits each, so
    # that a joined line shows.)
    container = make_container("while [ ! -e /tmp/go ]; do usleep 20000; done; seq -w 1 90000")
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name, "tail": 0}, "connected")
    await asyncio.to_thread(container.exec_run, ["touch", "/tmp/go"])
    text = await client.log_text("\n90000\n", timeout=60)
    lines = text.split()
    got = [int(n) for n in lines if len(n) == 5]
    joined = [n for n in lines if len(n) != 5]
    assert got == sorted(set(got)) and got[0] == 1 and got[-1] == 90000, "repeated or reordered"
    died = await client.until(
        lambda f: f.get("type") == "status" and f["event"] == "died", timeout=30, since=0
    )
    assert died["exit_code"] == 0
    # Every line came, or a notice (after the lines) says exactly how many did not.
    if len(got) < 90000:
        notice = await client.until(
            lambda f: f.get("type") == "dropped" and f["reason"] == "engine", timeout=30, since=0
        )
        assert len(got) + notice["lines"] == 90000, (len(got), len(joined), notice)
        assert "left out" in notice["message"]
    else:
        assert not joined and not [f for f in client.received if f.get("type") == "dropped"]


async def test_binary_garbage_from_the_container_stays_valid_json(lw_client, make_container):
    container = make_container(
        r"printf 'ok\n\377\376\000\200bad\n\033[31mred\033[0m\r\n'; sleep 3600"
    )
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    await client.until("history_end")
    assert client.logs() == "ok\n\ufffd\ufffd\x00\ufffdbad\n\x1b[31mred\x1b[0m\n"


# -- bad input ----------------------------------------------------------------------------------


async def test_bad_frames_get_errors_and_the_socket_survives(lw_client):
    client = await lw_client()
    cases = [
        ("not json", "invalid_json"),
        ("[1,2]", "invalid_json"),
        (json.dumps({"type": "fly"}), "unknown_type"),
        (json.dumps({"nothing": 1}), "unknown_type"),
        (json.dumps({"type": "connect"}), "invalid_message"),
        (json.dumps({"type": "connect", "server_id": ["x"]}), "invalid_message"),
        (json.dumps({"type": "command", "command": "ls"}), "not_connected"),
        (json.dumps({"type": "power", "action": "stop"}), "not_connected"),
        (json.dumps({"type": "stats"}), "not_connected"),
        (json.dumps({"type": "disconnect"}), "not_connected"),
    ]
    for raw, code in cases:
        await client.send(raw)
        error = await client.until("error")
        assert error["code"] == code, (raw, error)
        assert error["message"]
    await client.send(b"\x00\x01binary")
    assert (await client.until("error"))["code"] == "binary_not_supported"
    beat = await client.request({"type": "heartbeat"}, "heartbeat")
    assert beat["type"] == "heartbeat"


async def test_errors_echo_the_request_id(lw_client):
    client = await lw_client()
    await client.send({"type": "connect", "id": "abc"})
    error = await client.until("error")
    assert error["id"] == "abc"


async def test_unknown_container(lw_client):
    client = await lw_client()
    for ref in ("no-such-container-here", "../../images/json", "a b"):
        error = await client.request({"type": "connect", "server_id": ref}, "connected")
        assert error["code"] == "not_found"
        assert "No container" in error["message"]


async def test_oversized_frame_closes_with_1009(lw_client):
    client = await lw_client()
    await client.send(json.dumps({"type": "command", "command": "x" * (1024 * 1024 + 10)}))
    assert await client.recv() is None
    assert client.conn.close_code == 1009


async def test_a_client_that_vanishes_is_cleaned_up(lw_client, make_container, jp_serverapp):
    container = make_container(COUNTER)
    manager = manager_of(jp_serverapp)
    client = await lw_client()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    await client.log_text("line")
    client.conn.stream.close()  # drop the TCP connection: no close frame
    await wait_for(lambda: not manager.sessions and not manager.followers)


# -- configured limits --------------------------------------------------------------------------


class TestIdle:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"idle_timeout": 1.5}

    async def test_idle_session_is_warned_then_closed(self, lw_client):
        client = await lw_client()
        warning = await client.until("idle_warning", timeout=5)
        assert warning["seconds_left"] >= 0
        error = await client.until("error", timeout=5)
        assert error["code"] == "idle_timeout"
        assert await client.recv(timeout=5) is None
        assert (client.conn.close_code, client.conn.close_reason) == (4001, "idle timeout")

    async def test_heartbeats_keep_it_open(self, lw_client):
        client = await lw_client()
        for _ in range(8):
            await client.request({"type": "heartbeat"}, "heartbeat")
            await asyncio.sleep(0.4)
        assert client.conn.close_code is None


class TestRateLimit:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"command_rate": 1.0, "command_burst": 2}

    async def test_commands_over_the_rate_are_refused_with_retry_after(
        self, lw_client, make_container
    ):
        container = make_container()
        client = await lw_client()
        await client.request({"type": "connect", "server_id": container.name}, "connected")
        replies = []
        for i in range(4):
            replies.append(
                await client.request({"type": "command", "command": f"echo {i}"}, "command_started")
            )
        assert [r["type"] for r in replies[:2]] == ["command_started", "command_started"]
        assert replies[2]["code"] == "rate_limited" and replies[2]["retry_after"] > 0
        await asyncio.sleep(1.1)
        again = await client.request({"type": "command", "command": "echo ok"}, "command_started")
        assert again["type"] == "command_started"


class TestReadOnly:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"read_only": True}

    async def test_read_only_mode_refuses_commands_and_power(self, lw_client, make_container):
        container = make_container("echo readable; sleep 3600")
        client = await lw_client()
        assert client.received[0]["permissions"] == {"read": True, "write": False}
        await client.request({"type": "connect", "server_id": container.name}, "connected")
        await client.log_text("readable")
        for frame in ({"type": "command", "command": "ls"}, {"type": "power", "action": "stop"}):
            error = await client.request(frame, "never")
            assert error["code"] == "forbidden" and "read-only" in error["message"]
        assert container.reload() is None and container.status == "running"


class TestVisibility:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"visible_labels": ["littlewings.visible=yes"]}

    async def test_hidden_container_is_answered_like_a_missing_one(self, lw_client, make_container):
        hidden = make_container()
        shown = make_container(labels={"littlewings.visible": "yes"})
        client = await lw_client()
        error = await client.request({"type": "connect", "server_id": hidden.name}, "connected")
        missing = await client.request({"type": "connect", "server_id": "lw-nope"}, "connected")
        assert error["code"] == missing["code"] == "not_found"
        assert error["message"].replace(hidden.name, "X") == missing["message"].replace(
            "lw-nope", "X"
        )
        listing = await client.request({"type": "list"}, "containers")
        ids = [c["id"] for c in listing["containers"]]
        assert shown.id in ids and hidden.id not in ids


class TestEngineUnreachable:
    @pytest.fixture
    def littlewings_config(self, tmp_path) -> dict[str, Any]:
        self.socket_path = tmp_path / "docker-proxy.sock"
        return {"docker_url": f"unix://{self.socket_path}", "use_docker_contexts": False}

    async def test_clear_error_then_recovery_when_the_engine_returns(
        self, lw_client, make_container, jp_fetch, engine_url
    ):
        container = make_container("echo still here; sleep 3600")
        client = await lw_client()
        error = await client.request({"type": "connect", "server_id": container.name}, "connected")
        assert error["code"] == "engine_unavailable"
        assert "not reachable" in error["message"] or "does not answer" in error["message"]
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("api", "littlewings", "containers")
        assert info.value.code == 503
        assert json.loads(info.value.response.body)["error"] == "engine_unavailable"
        status = json.loads((await jp_fetch("api", "littlewings", "status")).body)
        assert status["engine"]["available"] is False and status["engine"]["error"]

        # The engine "comes back": a proxy appears on the configured socket.
        engine_socket = engine_url[len("unix://") :] if engine_url else "/var/run/docker.sock"
        proxy = UnixProxy(str(self.socket_path), engine_socket)
        await proxy.start()
        try:
            reply = await client.request(
                {"type": "connect", "server_id": container.name}, "connected"
            )
            assert reply["type"] == "connected"
            await client.log_text("still here")
        finally:
            client.close()
            await proxy.close()


class UnixProxy:
    """A byte-for-byte proxy from ``path`` to the real Docker socket, closed without leftovers."""

    def __init__(self, path: str, target: str) -> None:
        self.path = path
        self.target = target
        self.server: asyncio.AbstractServer | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self.server = await asyncio.start_unix_server(self._handle, self.path)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        up_reader, up_writer = await asyncio.open_unix_connection(self.target)
        self.writers += [writer, up_writer]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()


async def test_stdin_keeps_working_after_every_client_left(lw_client, make_container, engine_kind):
    # docker-py's stdin_open=True also sets StdinOnce: Docker closes the container's stdin for
    # good when an attached client leaves, so the server must keep its attachment. (Podman
    # keeps no StdinOnce; the same must work there.)
    container = make_container(command=["demo-console"], stdin_open=True)
    assert container.attrs["Config"]["StdinOnce"] is (engine_kind == "docker")
    first = await lw_client()
    await first.request({"type": "connect", "server_id": container.name}, "connected")
    await first.request({"type": "command", "command": "say one"}, "command_sent")
    await first.log_text("demo: one\n")
    first.close()
    await asyncio.sleep(1)
    second = await lw_client()
    await second.request({"type": "connect", "server_id": container.name, "tail": 0}, "connected")
    await second.request({"type": "command", "command": "say two"}, "command_sent")
    await second.log_text("demo: two\n")
    # And after a restart (Docker ends the old attachment), a new one is made.
    container.restart(timeout=1)
    await second.until(lambda f: f.get("type") == "status" and f["event"] == "restarted")
    await second.request({"type": "command", "command": "say three"}, "command_sent")
    await second.log_text("demo: three\n")


async def test_health_status_events(
    lw_client, make_container, engine_kind, jp_fetch, podman_healthcheck
):
    container = make_container(
        "sleep 3600",
        healthcheck={"test": ["CMD", "true"], "interval": 500_000_000, "start_period": 0},
    )
    client = await lw_client()
    mark = client.mark()
    await client.request({"type": "connect", "server_id": container.name}, "connected")
    if engine_kind == "podman":
        # Podman runs a check only when asked (systemd timers ask, and there is no systemd
        # here): ask as a timer would, through Podman's own API.
        podman_healthcheck(container)
    health = await client.until(
        lambda f: f.get("type") == "status" and f["event"] == "health", since=mark, timeout=20
    )
    # Podman's health_status event carries no value: it is read from the container.
    assert health["health"] == "healthy"
    listed = json.loads((await jp_fetch("api", "littlewings", "containers")).body)
    assert {c["id"]: c["health"] for c in listed["containers"]}[container.id] == "healthy"


async def test_server_stop_closes_every_stream_and_thread(lw_client, make_container, jp_serverapp):
    manager = manager_of(jp_serverapp)
    container = make_container(COUNTER)
    client = await lw_client()
    await client.request(
        {"type": "connect", "server_id": container.name, "stats": True}, "connected"
    )
    await client.log_text("line")
    await client.until("stats", timeout=15)
    threads = manager.threads()
    assert len(threads) >= 3  # logs, stats, events
    await manager.close()
    assert not [t for t in threads if t.alive]
    while await client.recv() is not None:  # frames already on their way, then the close
        pass
    assert client.conn.close_code == 1001


def processes(container: Any) -> str:
    """What runs in the container now (``ps`` inside it)."""
    return container.exec_run(["ps", "-o", "pid,args"]).output.decode()


async def wait_until_gone(container: Any, text: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while text in processes(container):
        assert time.monotonic() < deadline, f"{text!r} still runs:\n{processes(container)}"
        await asyncio.sleep(0.2)


async def test_command_stop_ends_the_process_in_the_container(lw_client, make_container):
    box = make_container("sleep 3600")
    client = await lw_client()
    await client.request({"type": "connect", "server_id": box.name, "tail": 0}, "connected")
    started = await client.request(
        {"type": "command", "id": "t1", "command": "tail -f /dev/null | cat", "via": "exec"},
        "command_started",
    )
    assert started["type"] == "command_started", started
    assert "tail -f /dev/null" in processes(box)
    reply = await client.request({"type": "command_stop", "command": "t1"}, "command_stopping")
    assert reply["type"] == "command_stopping" and reply["command"] == "t1", reply
    end = await client.until(lambda f: f.get("type") == "command_exit" and f["id"] == "t1")
    assert end["stopped"] is True, end
    await wait_until_gone(box, "tail -f /dev/null")
    error = await client.request({"type": "command_stop", "command": "t1"}, "command_stopping")
    assert error["type"] == "error" and "No command 't1'" in error["message"], error


async def test_closing_the_console_ends_its_commands(lw_client, make_container):
    box = make_container("sleep 3600")
    client = await lw_client()
    await client.request({"type": "connect", "server_id": box.name, "tail": 0}, "connected")
    for n in (1, 2):
        await client.request(
            {"type": "command", "command": f"sleep 100{n}", "via": "exec"}, "command_started"
        )
    assert "sleep 1001" in processes(box) and "sleep 1002" in processes(box)
    client.close()
    await wait_until_gone(box, "sleep 1001")
    await wait_until_gone(box, "sleep 1002")


def test_an_exec_timeout_ends_the_process(make_container):
    import littlewings_jupyter as lw

    box = make_container("sleep 3600")
    result = lw.container(box.name).exec("echo begun; sleep 1003", timeout=1)
    assert result.timed_out and result.stdout == "begun\n", result
    deadline = time.monotonic() + 15
    while "sleep 1003" in processes(box):
        assert time.monotonic() < deadline, processes(box)
        time.sleep(0.2)


async def test_closing_the_manager_ends_the_event_work_it_started(
    jp_serverapp, lw_client, make_container
):
    """An event whose inspection is still waiting when the server stops is ended by close():
    left pending, the loop dropped it later ("Task was destroyed but it is pending!", logged
    in the middle of another test on a loaded machine)."""
    manager = manager_of(jp_serverapp)
    never = asyncio.Event()
    original_run = manager.run

    async def stuck_inspection(fn: Any, *args: Any) -> Any:
        if getattr(fn, "__name__", "") == "<lambda>":  # (the event's inspection)
            await never.wait()
        return await original_run(fn, *args)

    client = await lw_client()  # (a socket: Docker's events are watched from now on)
    await client.request({"type": "events", "enabled": True}, "events")
    manager.run = stuck_inspection
    try:
        make_container("sleep 3600")  # created, started: two events to inspect
        deadline = time.monotonic() + 20

        def publishing() -> list[asyncio.Task[Any]]:
            return [t for t in asyncio.all_tasks() if "_publish_event" in repr(t.get_coro())]

        while not publishing():
            assert time.monotonic() < deadline, "no event reached the manager"
            await asyncio.sleep(0.05)
        pending = publishing()
        assert not any(task.done() for task in pending)
        await manager.close()
        assert all(task.done() for task in pending), pending
    finally:
        manager.run = original_run

"""A user with only ``read`` (or a little more) tries to stall the server, walk around the
create policy, confuse the file paths, or break a download; and hypothesis throws random
query arguments at the REST API. Each case here was seen to work before it was fixed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import IMAGE, TEST_LABEL
from jupyter_servers import start_jupyter_server
from tornado.httpclient import HTTPClientError
from traitlets import TraitError

from littlewings_jupyter.errors import InvalidMessage
from littlewings_jupyter.patterns import compile_pattern
from littlewings_jupyter.session.limits import Limits

# A pattern that backtracks: Python's re takes 2**n steps on n a's that do not end the line.
EVIL = "(a+)+$"
ALMOST = "a" * 30 + "b"


def lines_of(container: Any) -> None:
    """Wait until a container that prints and exits has printed everything."""
    container.wait(timeout=60)


async def heartbeat_round_trips(client: Any, until: asyncio.Future[Any]) -> list[float]:
    """Heartbeat round trips on ``client`` until ``until`` is done (at least one)."""
    trips: list[float] = []
    while not trips or not until.done():
        start = time.monotonic()
        reply = await client.request({"type": "heartbeat"}, "heartbeat", timeout=30)
        assert reply["type"] == "heartbeat", reply
        trips.append(time.monotonic() - start)
        await asyncio.sleep(0.05)
    return trips


# -- the pattern engine, alone ------------------------------------------------------------------


def test_the_worst_patterns_run_in_linear_time_and_unsupported_ones_say_why():
    evil = compile_pattern(EVIL, what="'query'", multiline=True)
    block = "\n".join([ALMOST] * 1000).encode()
    assert evil.search_block(block) is None  # (Python's re: 2**30 steps per line)
    assert not evil.search(ALMOST * 100)
    assert evil.search("aaaa")
    for source, words in (
        (r"(a)\1", "backreferences"),
        ("(?=a)", "lookahead"),
        ("(?<!a)b", "negative lookbehind"),
        ("a{1001}", "repeats of more than 1000"),
        ("a++", "possessive"),
        ("(", "missing )"),
    ):
        with pytest.raises(InvalidMessage, match="not a valid regular expression") as caught:
            compile_pattern(source, what="'query'", multiline=True)
        assert words in caught.value.message and "(?m)" not in caught.value.message


def test_command_lists_must_be_patterns_re2_takes():
    with pytest.raises(TraitError, match="lookahead"):
        Limits(command_deny=["^(?!ls)"])
    Limits(command_allow=["ls( .*)?"]).check_command("ls -l\n/tmp")  # `.` takes newlines
    Limits(command_deny=[EVIL]).check_command(ALMOST)  # no match, found in linear time
    with pytest.raises(Exception, match="deny-list"):
        Limits(command_deny=[EVIL]).check_command("aaaa")


# -- patterns on a live server --------------------------------------------------------------------


@pytest.fixture
def almost(make_container: Any) -> Any:
    """A container that printed 50,000 lines that nearly match EVIL."""
    box = make_container(f"yes {ALMOST} | head -n 50000")
    lines_of(box)
    return box


@pytest.fixture
def many(make_container: Any) -> Any:
    """A container that printed 300,000 lines that nearly match EVIL (several seconds to read)."""
    box = make_container(f"yes {ALMOST} | head -n 300000")
    lines_of(box)
    return box


@pytest.mark.docker
async def test_an_evil_search_leaves_every_socket_answered(lw_client, almost):
    searcher, other = await lw_client(), await lw_client()
    connected = await searcher.request(
        {"type": "connect", "server_id": almost.name, "tail": 0, "follow": False}, "connected"
    )
    assert connected["type"] == "connected", connected
    started = await searcher.request(
        {"type": "search", "query": EVIL, "regex": True, "limit": 10}, "search_started"
    )
    assert started["type"] == "search_started", started
    end = asyncio.ensure_future(searcher.until("search_end", timeout=60))
    trips = await heartbeat_round_trips(other, end)
    result = await end
    assert result["reason"] == "done" and result["matches"] == 0, result
    assert result["scanned"] == 50000, result
    assert max(trips) < 0.5, trips


@pytest.mark.docker
async def test_search_cancel_ends_a_search_within_a_second(lw_client, many):
    client = await lw_client()
    await client.request(
        {"type": "connect", "server_id": many.name, "tail": 0, "follow": False}, "connected"
    )
    await client.request(
        {"type": "search", "id": "s", "query": EVIL, "regex": True}, "search_started"
    )
    asked = time.monotonic()
    await client.send({"type": "search_cancel", "search": "s"})
    end = await client.until("search_end", timeout=30)
    assert end["reason"] == "cancelled" and end["scanned"] < 300000, end
    assert time.monotonic() - asked < 1.0


async def rest_search(jp_fetch: Any, name: str, **params: str) -> tuple[int, dict[str, Any]]:
    try:
        response = await jp_fetch("api", "littlewings", "containers", name, "search", params=params)
    except HTTPClientError as exc:
        assert exc.response is not None
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body)


@pytest.mark.docker
async def test_an_evil_rest_search_answers_and_unsupported_syntax_is_a_400(jp_fetch, almost):
    code, body = await rest_search(jp_fetch, almost.name, query=EVIL, regex="1")
    assert code == 200 and body["reason"] == "done" and body["matches"] == [], body
    assert body["scanned"] == 50000
    code, body = await rest_search(jp_fetch, almost.name, query=r"(a)\1", regex="1")
    assert code == 400 and "backreferences" in body["message"], body


@pytest.mark.docker
class TestSearchTimeLimit:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"search_time_limit": 0.001}

    async def test_a_search_past_its_time_says_so_and_how_far_it_got(self, jp_fetch, many):
        code, body = await rest_search(jp_fetch, many.name, query=EVIL, regex="1")
        assert code == 200 and body["reason"] == "time_limit", body
        assert body["complete"] is False and 0 < body["scanned"] < 300000, body
        assert body["reached"], body


@pytest.mark.docker
async def test_an_evil_alert_pattern_does_not_hold_the_loop(lw_client, make_container):
    box = make_container(f"sleep 1; while true; do echo {ALMOST}; usleep 20000; done")
    watcher, other = await lw_client(), await lw_client()
    reply = await watcher.request(
        {"type": "alerts", "rules": [{"server_id": box.name, "patterns": [EVIL, "a{30}b$"]}]},
        "alerts",
    )
    assert reply["type"] == "alerts", reply
    alert = asyncio.ensure_future(watcher.until("alert", timeout=30))
    trips = await heartbeat_round_trips(other, alert)
    assert (await alert)["pattern"] == "a{30}b$"
    assert max(trips) < 0.5, trips


@pytest.mark.docker
class TestEvilCommandDeny:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"command_deny": [EVIL]}

    async def test_a_deny_pattern_runs_in_linear_time_on_any_command(
        self, lw_client, make_container
    ):
        box = make_container("sleep 3600")
        client = await lw_client()
        await client.request({"type": "connect", "server_id": box.name, "tail": 0}, "connected")
        reply = await client.request(
            {"type": "command", "command": f"echo {ALMOST}", "via": "exec"}, "command_exit"
        )
        assert reply.get("exit_code") == 0, reply
        refused = await client.request(
            {"type": "command", "command": "echo aaaa", "via": "exec"}, "command_exit"
        )
        assert refused["type"] == "error" and "deny-list" in refused["message"], refused


@pytest.mark.docker
def test_sigterm_stops_a_server_while_an_evil_search_runs(tmp_path, many):
    import websocket

    server, port, token = start_jupyter_server(tmp_path)
    try:
        url = f"ws://127.0.0.1:{port}/api/littlewings/ws?token={token}"
        deadline = time.monotonic() + 90  # (a loaded machine starts a server slowly)
        while True:
            try:
                ws = websocket.create_connection(url, timeout=20)
                break
            except (OSError, websocket.WebSocketException):
                if time.monotonic() > deadline:
                    raise AssertionError("jupyter server did not start") from None
                time.sleep(0.1)

        def until(kind: str) -> dict[str, Any]:
            while True:
                frame = json.loads(ws.recv())
                if frame.get("type") in (kind, "error"):
                    return frame

        ws.send(json.dumps({"type": "connect", "server_id": many.name, "tail": 0, "follow": False}))
        assert until("connected")["type"] == "connected"
        ws.send(json.dumps({"type": "search", "id": "s", "query": EVIL, "regex": True}))
        assert until("search_started")["type"] == "search_started"
        server.send_signal(signal.SIGTERM)
        assert server.wait(15) is not None
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)


# -- the create policy: namespaces and volumes ----------------------------------------------------


@pytest.fixture
def run_label(docker_client: Any) -> Iterator[dict[str, str]]:
    """Labels for containers created through LittleWings here; removed afterwards."""
    run = uuid.uuid4().hex[:8]
    labels = {TEST_LABEL: "1", "littlewings.run": run}
    yield labels
    for container in docker_client.containers.list(
        all=True, filters={"label": f"littlewings.run={run}"}
    ):
        container.remove(force=True)


@pytest.fixture
def host_namespaced(docker_client: Any, make_container: Any) -> Any:
    """A test container that runs with the host's network and PID namespaces (as
    node-exporter does)."""
    box = docker_client.containers.create(
        IMAGE,
        ["sleep", "3600"],
        name=f"lwtest-hostns-{uuid.uuid4().hex[:8]}",
        labels={TEST_LABEL: "1", "littlewings.visible": "yes"},
        network_mode="host",
        pid_mode="host",
        ipc_mode="shareable",
    )
    make_container.created.append(box)
    box.start()
    return box


async def create(jp_fetch: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    try:
        response = await jp_fetch(
            "api", "littlewings", "containers", method="POST", body=json.dumps(body)
        )
    except HTTPClientError as exc:
        assert exc.response is not None
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body)


@pytest.mark.docker
async def test_another_containers_namespaces_are_refused_like_the_hosts(
    jp_fetch, host_namespaced, run_label
):
    target = f"container:{host_namespaced.name}"
    for field, value in (
        ("network", target),
        ("pid_mode", target),
        ("ipc_mode", target),
        ("ipc_mode", "host"),
        ("userns_mode", "host"),
    ):
        code, body = await create(
            jp_fetch, {"image": IMAGE, field: value, "labels": run_label, "start": False}
        )
        assert code == 403 and body["field"] == field, (field, value, body)
        assert "allow_privileged" in body["message"], body
    code, body = await create(
        jp_fetch, {"image": IMAGE, "userns_mode": target, "labels": run_label}
    )
    assert code == 400 and body["field"] == "userns_mode", body


@pytest.mark.docker
class TestJoiningWithAllowPrivileged:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"allow_privileged": True, "visible_labels": [TEST_LABEL]}

    async def test_only_a_visible_container_is_joined_by_its_id(
        self, jp_fetch, docker_client, host_namespaced, make_container, run_label
    ):
        hidden = docker_client.containers.create(
            IMAGE, ["sleep", "3600"], name=f"lwhidden-{uuid.uuid4().hex[:8]}", network_mode="none"
        )  # no test label: hidden from this server (and removed by this test)
        try:
            hidden.start()
            for name in (hidden.name, hidden.id[:12], "no-such-container"):
                code, body = await create(
                    jp_fetch,
                    {"image": IMAGE, "network": f"container:{name}", "labels": run_label},
                )
                assert code == 400 and body["field"] == "network", body
                assert body["message"] == f"'network': no container {name!r} to join.", body
        finally:
            hidden.remove(force=True)
        code, body = await create(
            jp_fetch,
            {
                "image": IMAGE,
                "network": f"container:{host_namespaced.name}",
                "command": "sleep 3600",
                "labels": run_label,
            },
        )
        assert code == 201, body
        made = docker_client.api.inspect_container(body["container"]["id"])
        assert made["HostConfig"]["NetworkMode"] == f"container:{host_namespaced.id}"


@pytest.mark.docker
class TestCreatedContainersStayInTheirOwnersView:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"visible_labels": [TEST_LABEL, "owner=alice"], "visible_names": ["lw*"]}

    async def test_visibility_labels_are_set_and_hidden_names_refused(
        self, jp_fetch, docker_client, run_label
    ):
        planted = {**run_label, "owner": "bob"}  # Alice tries to put one in Bob's view
        name = f"lwmade-{run_label['littlewings.run']}"
        body = {"image": IMAGE, "name": name, "labels": planted, "start": False}
        code, made = await create(jp_fetch, body)
        assert code == 201, made
        labels = docker_client.api.inspect_container(made["container"]["id"])["Config"]["Labels"]
        assert labels["owner"] == "alice" and labels[TEST_LABEL] == "1", labels
        for other in ({"name": "web-1"}, {}):
            code, refused = await create(
                jp_fetch, {"image": IMAGE, "labels": run_label, "start": False, **other}
            )
            assert code == 400 and refused["field"] == "name", refused
            assert "lw*" in refused["message"], refused


@pytest.fixture
def bind_volume(docker_client: Any) -> Iterator[str]:
    """A named volume that is really the host's /etc (local driver, o=bind)."""
    name = f"lwtest-vol-{uuid.uuid4().hex[:8]}"
    docker_client.volumes.create(
        name,
        driver="local",
        driver_opts={"type": "none", "o": "bind", "device": "/etc"},
        labels={TEST_LABEL: "1"},
    )
    yield name
    docker_client.volumes.get(name).remove(force=True)


@pytest.mark.docker
async def test_a_named_volume_that_binds_a_host_folder_is_a_bind(jp_fetch, bind_volume, run_label):
    code, body = await create(
        jp_fetch, {"image": IMAGE, "volumes": {bind_volume: "/x"}, "labels": run_label}
    )
    assert code == 403 and body["field"] == "volumes", body
    assert "'/etc'" in body["message"] and bind_volume in body["message"], body


# -- file paths ----------------------------------------------------------------------------------


async def files(jp_fetch: Any, name: str, path: str, method: str = "GET", body: Any = None):
    try:
        response = await jp_fetch(
            "api",
            "littlewings",
            "containers",
            name,
            "files",
            params={"path": path},
            method=method,
            **({"body": json.dumps(body)} if body is not None else {}),
        )
    except HTTPClientError as exc:
        assert exc.response is not None
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body)


@pytest.mark.docker
async def test_paths_linux_cannot_have_are_400_naming_path(jp_fetch, make_container):
    box = make_container("echo secret > /etc/x; sleep 3600")
    for path in ("/etc\x00passwd", "/etc/\npasswd", "/tmp/\x1b[31m", "/" + "n" * 256):
        code, body = await files(jp_fetch, box.name, path)
        assert code == 400 and body.get("field") == "path", (path, body)
        assert "path" in body["message"] and "http" not in body["message"], body
    code, body = await files(jp_fetch, box.name, "/" + "/".join(["d" * 200] * 21))
    assert code == 400 and "4096" in body["message"], body
    code, body = await files(
        jp_fetch, box.name, "/etc/x", method="PATCH", body={"path": "/etc/y\x00z"}
    )
    assert code == 400 and body.get("field") == "path", body
    code, body = await files(jp_fetch, box.name, "/etc/hostname")
    assert code == 200, body  # an ordinary path still reads


@pytest.mark.docker
async def test_a_stopped_containers_root_lists_its_top_level(jp_fetch, make_container):
    box = make_container(start=False)
    code, body = await files(jp_fetch, box.name, "/")
    assert code == 200, body
    names = {entry["name"] for entry in body["entries"]}
    assert {"bin", "etc", "tmp"} <= names, names
    assert "busybox" not in names and "passwd" not in names, names
    assert all(entry["path"] == "/" + entry["name"] for entry in body["entries"])


def test_docker_errors_never_quote_the_api_url():
    import docker.errors
    import requests

    from littlewings_jupyter.docker.errors import translate_docker_error

    response = requests.Response()
    response.status_code = 500
    response.reason = "Internal Server Error"
    response.url = "http+docker://localhost/v1.41/containers/abc/archive?path=/x"
    plain = docker.errors.APIError(
        f"500 Server Error for {response.url}: Internal Server Error", response
    )
    with_text = docker.errors.APIError(
        "500 Server Error", response, explanation=f"lstat {response.url} failed"
    )
    for exc in (plain, with_text):
        error = translate_docker_error(exc)
        assert "http+docker" not in error.message and "/v1.41/" not in error.message, error
        assert error.message.startswith("Docker refused:"), error.message


# -- downloads ----------------------------------------------------------------------------------


@pytest.mark.docker
async def test_a_client_hanging_up_on_a_download_ends_quietly(
    jp_fetch, jp_http_port, jp_base_url, jp_serverapp, make_container, caplog
):
    box = make_container("seq 1 1000000")
    lines_of(box)
    token = jp_serverapp.identity_provider.token
    for path in (
        f"api/littlewings/containers/{box.name}/logs",
        f"api/littlewings/logs?server_ids={box.name}",
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", jp_http_port)
        writer.write(
            f"GET {jp_base_url}{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: token {token}\r\n\r\n".encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        await reader.readexactly(65536)
        writer.transport.abort()  # hang up in the middle
        await asyncio.sleep(1.5)
    status = await jp_fetch("api", "littlewings", "status")
    assert status.code == 200
    noise = [
        r.getMessage()
        for r in caplog.records
        if "Cannot send error response" in r.getMessage()
        or "StreamClosedError" in r.getMessage()
        or (r.exc_info and "StreamClosed" in repr(r.exc_info[1]))
        or r.levelname == "ERROR"
    ]
    assert noise == []


# -- Docker contexts without a config.json ------------------------------------------------------


@pytest.mark.docker
def test_contexts_are_found_as_the_docker_cli_finds_them(tmp_path, monkeypatch):
    from littlewings_jupyter.docker.engines import docker_contexts

    config = tmp_path / "docker-config"
    env = {**os.environ, "DOCKER_CONFIG": str(config)}
    env.pop("DOCKER_HOST", None)
    env.pop("DOCKER_CONTEXT", None)
    for name, host in (("lw-ctx-a", "tcp://127.0.0.1:2399"), ("lw-ctx-b", "unix:///tmp/x.sock")):
        subprocess.run(
            ["docker", "context", "create", name, "--docker", f"host={host}"],
            env=env,
            check=True,
            capture_output=True,
        )
    assert not (config / "config.json").exists()  # as a user who never ran docker login
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.chdir(tmp_path)  # (docker-py looked for ./contexts when config.json was missing)
    found = {spec.name: spec.url for spec in docker_contexts()}
    assert found["lw-ctx-a"] == "tcp://127.0.0.1:2399", found
    assert found["lw-ctx-b"] == "unix:///tmp/x.sock", found
    assert docker_contexts()[0].name == "default"
    monkeypatch.setenv("DOCKER_CONTEXT", "lw-ctx-b")
    assert docker_contexts()[0].name == "lw-ctx-b"
    (config / "config.json").write_text(json.dumps({"currentContext": "lw-ctx-a"}))
    monkeypatch.delenv("DOCKER_CONTEXT")
    assert docker_contexts()[0].name == "lw-ctx-a"


# -- frames --------------------------------------------------------------------------------------


def _send_big_frame_and_read_the_close(url: str, token: str) -> int | None:
    """As a plain client does it: write the whole 8 MiB frame, then read; the close code."""
    import websocket

    ws = websocket.create_connection(url, header=[f"Authorization: token {token}"], timeout=30)
    try:
        assert json.loads(ws.recv())["type"] == "hello"
        with contextlib.suppress(OSError, websocket.WebSocketException):
            ws.send(json.dumps({"type": "command", "command": "x" * (8 * 1024 * 1024)}))
        while True:
            try:
                opcode, frame = ws.recv_data_frame(control_frame=True)
            except (OSError, websocket.WebSocketException):
                return None  # dropped without a close frame
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(frame.data[:2], "big")
    finally:
        ws.shutdown()


@pytest.mark.docker
@pytest.mark.parametrize("attempt", range(3))
async def test_an_8_mib_frame_is_refused_with_1009(
    jp_serverapp, http_server_client, jp_http_port, jp_base_url, attempt
):
    url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}api/littlewings/ws"
    token = jp_serverapp.identity_provider.token
    code = await asyncio.to_thread(_send_big_frame_and_read_the_close, url, token)
    assert code == 1009


# -- hypothesis: random query arguments on the REST routes --------------------------------------

QUERY_NAMES = [
    "path", "query", "regex", "tail", "since", "until", "stream", "level", "context", "limit",
    "engine", "format", "timestamps", "content", "raw", "server_ids",
]  # fmt: skip


def query_strings() -> Any:
    from hypothesis import strategies as st

    values = st.one_of(
        st.text(max_size=40),
        st.sampled_from(
            [
                "",
                "\x00",
                "/",
                "..",
                "%00",
                "(a+)+$",
                "1",
                "-1",
                "all",
                "\ud800",
                "9" * 40,
                "/" + "x" * 300,
                "a\nb",
                "stderr",
                "zip",
                "1h",
            ]
        ),
    )
    return st.dictionaries(st.sampled_from(QUERY_NAMES), values, max_size=5)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: Any) -> Iterator[tuple[str, str]]:
    """A real `jupyter server` with LittleWings, in its own process."""
    root = tmp_path_factory.mktemp("adversarial-server")
    server, port, token = start_jupyter_server(root, "--LittleWings.search_time_limit=5")
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90  # (a loaded machine starts a server slowly)
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("jupyter server did not start") from None
                time.sleep(0.1)
        yield base, token
    finally:
        server.terminate()
        server.wait(20)


@pytest.mark.docker
def test_random_query_arguments_get_an_answer_never_a_crash(live_server, make_container):
    import urllib.request

    from hypothesis import HealthCheck, given, settings

    base, token = live_server
    box = make_container("seq 1 2000; sleep 3600")
    routes = [
        f"api/littlewings/containers/{box.name}/files",
        f"api/littlewings/containers/{box.name}/search",
        f"api/littlewings/containers/{box.name}/logs",
        "api/littlewings/logs",
        "api/littlewings/containers",
        "api/littlewings/services",
    ]

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(route=st_routes(routes), params=query_strings())
    def check(route: str, params: dict[str, str]) -> None:
        query = urllib.parse.urlencode(
            {k: v.encode("utf-8", "surrogatepass") for k, v in params.items()}
        )
        request = urllib.request.Request(
            f"{base}{route}?{query}", headers={"Authorization": f"token {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        assert status < 500 or status == 503, (route, params, status, body[:300])
        if status >= 400:
            answer = json.loads(body)
            assert answer["message"] and answer["error"], answer
            assert "http+docker" not in answer["message"], answer

    check()
    alive = urllib.request.urlopen(
        urllib.request.Request(
            f"{base}api/littlewings/status", headers={"Authorization": f"token {token}"}
        ),
        timeout=10,
    )
    assert alive.status == 200


def st_routes(routes: list[str]) -> Any:
    from hypothesis import strategies as st

    return st.sampled_from(routes)

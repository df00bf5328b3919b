"""Several Docker engines side by side: a second real dockerd with its own socket and a TCP
endpoint with mutual TLS (certificates made by the test), and a docker CLI context."""

from __future__ import annotations

import json
import logging
import subprocess
import time
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.docker

IMAGE = "littlewings/busybox:latest"


def manager_of(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["littlewings_manager"]


async def get_json(jp_fetch: Any, *path: str, **params: str) -> Any:
    response = await jp_fetch("api", "littlewings", *path, params=params)
    return json.loads(response.body)


def run_on(client: Any, name: str, script: str) -> Any:
    container = client.containers.create(
        IMAGE,
        ["sh", "-c", script],
        name=name,
        labels={"littlewings.test": "1"},
        network_mode="none",
    )
    container.start()
    return container


@pytest.fixture
def same_name(docker_client: Any, second_engine: Any) -> Any:
    """A container of the same name on both engines, each saying where it runs."""
    name = f"lwtest-twin-{uuid.uuid4().hex[:6]}"
    second = second_engine.client()
    made = [
        run_on(
            docker_client, name, "trap 'exit 0' TERM; echo I am on the first; sleep 3600 & wait"
        ),
        run_on(second, name, "trap 'exit 0' TERM; echo I am on the second; sleep 3600 & wait"),
    ]
    yield name, made
    for container in made:
        container.remove(force=True)
    second.close()


class TestTwoEngines:
    @pytest.fixture
    def littlewings_config(self, second_engine: Any) -> dict[str, Any]:
        return {
            "batch_interval": 0.01,
            "use_docker_contexts": False,
            "engines": {
                "local": "unix:///var/run/docker.sock",
                "second": {"url": second_engine.tcp, "tls": second_engine.tls()},
            },
        }

    async def test_both_engines_listed_with_their_containers(self, jp_fetch, same_name):
        name, (first, second) = same_name
        engines = (await get_json(jp_fetch, "engines"))["engines"]
        assert [e["name"] for e in engines] == ["local", "second"]
        assert all(e["reachable"] and e["version"] for e in engines), engines
        assert [e["kind"] for e in engines] == ["docker", "docker"]
        assert engines[1]["tls"] is True and engines[1]["url"].startswith("tcp://127.0.0.1:")
        assert engines[1]["containers"] >= 1 and engines[1]["running"] >= 1
        listed = (await get_json(jp_fetch, "containers"))["containers"]
        twins = [c for c in listed if c["name"] == name]
        assert sorted((c["engine"], c["id"]) for c in twins) == sorted(
            [("local", first.id), ("second", second.id)]
        )
        only_second = await get_json(jp_fetch, "containers", engine="second")
        assert {c["engine"] for c in only_second["containers"]} == {"second"}
        assert [e["name"] for e in only_second["engines"]] == ["second"]
        one = await get_json(jp_fetch, "containers", name, engine="second")
        assert one["id"] == second.id and one["engine"] == "second"
        logs = await jp_fetch(
            "api", "littlewings", "containers", name, "logs", params={"engine": "second"}
        )
        assert logs.body.decode() == "I am on the second\n"

    async def test_connect_exec_and_power_on_the_second(self, lw_client, same_name, second_engine):
        name, (_, second) = same_name
        client = await lw_client()
        reply = await client.request(
            {"type": "connect", "engine": "second", "server_id": name, "tail": 5}, "connected"
        )
        assert reply["engine"] == "second" and reply["container"]["id"] == second.id
        assert "I am on the second" in await client.log_text("second\n")
        await client.send({"type": "command", "command": "hostname", "id": "h"})
        out = await client.until(lambda f: f.get("id") == "h" and f["type"] == "command_output")
        assert out["data"].strip() == second.id[:12]
        mark = client.mark()
        reply = await client.request({"type": "power", "action": "restart"}, "power")
        assert reply["ok"] and reply["container"]["engine"] == "second"
        started = await client.until(
            lambda f: f.get("type") == "status" and f.get("event") == "started", since=mark
        )
        assert started["engine"] == "second"
        await client.log_text("I am on the second\nI am on the second\n")
        # The same name on the first engine is another container.
        other = await lw_client()
        reply = await other.request({"type": "connect", "server_id": name}, "connected")
        assert reply["engine"] == "local" and "I am on the first" in await other.log_text("first\n")
        bad = await other.request({"type": "connect", "engine": "nope", "server_id": name}, "x")
        assert bad["code"] == "engine_not_found" and "local, second" in bad["message"]

    async def test_list_and_events_over_the_websocket_carry_the_engine(
        self, lw_client, second_engine
    ):
        client = await lw_client()
        await client.request({"type": "events", "enabled": True}, "events")
        listed = await client.request({"type": "list"}, "containers")
        assert {e["name"] for e in listed["engines"]} == {"local", "second"}
        second = second_engine.client()
        box = run_on(second, f"lwtest-ev-{uuid.uuid4().hex[:6]}", "sleep 3600")
        try:
            event = await client.until(
                lambda f: (
                    f.get("type") == "container_event"
                    and f["container"].get("id") == box.id
                    and f["event"] == "started"
                )
            )
            assert event["container"]["engine"] == "second"
        finally:
            box.remove(force=True)
            second.close()


class TestBadConfiguration:
    @pytest.fixture
    def littlewings_config(self, second_engine: Any) -> dict[str, Any]:
        certs = second_engine.certs
        return {
            "use_docker_contexts": False,
            "engines": {
                "local": "unix:///var/run/docker.sock",
                "wrong-ca": {
                    "url": second_engine.tcp,
                    "tls": second_engine.tls(ca=certs["other_ca"]),
                },
                "stranger": {
                    "url": second_engine.tcp,
                    "tls": second_engine.tls(
                        cert=certs["stranger_cert"], key=certs["stranger_key"]
                    ),
                },
                "secret": f"tcp://admin:s3cret-pw@127.0.0.1:{second_engine.port}",
                "no-file": {"url": second_engine.tcp, "tls": {"ca": "/nonexistent/ca.pem"}},
                "not-a-url": "localhost:2375",
            },
        }

    async def test_clear_errors_and_no_credential_anywhere(self, jp_fetch, caplog, lw_client):
        caplog.set_level(logging.DEBUG)
        engines = {e["name"]: e for e in (await get_json(jp_fetch, "engines"))["engines"]}
        assert engines["local"]["reachable"]
        assert "not signed by the CA given" in engines["wrong-ca"]["error"]
        assert "refused the client certificate" in engines["stranger"]["error"]
        assert "tls 'ca' is not a readable file" in engines["no-file"]["error"]
        assert "is not a Docker endpoint" in engines["not-a-url"]["error"]
        assert not engines["secret"]["reachable"]
        assert (
            engines["secret"]["url"]
            == f"tcp://admin@127.0.0.1:{engines['secret']['url'].rsplit(':', 1)[1]}"
        )
        # The first engine works whatever the others do.
        listed = await get_json(jp_fetch, "containers")
        assert {e["name"]: e["reachable"] for e in listed["engines"]}["local"] is True
        client = await lw_client()
        await client.request({"type": "list"}, "containers")
        status = await get_json(jp_fetch, "status")
        answers = json.dumps([engines, listed, status])
        for secret in ("s3cret-pw", "BEGIN", "-key.pem", "cert.pem"):
            assert secret not in answers, secret
        assert "s3cret-pw" not in caplog.text and "PRIVATE KEY" not in caplog.text


class TestContexts:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"use_docker_contexts": True}

    @pytest.fixture(autouse=True)
    def docker_config(self, tmp_path: Any, second_engine: Any, monkeypatch: Any) -> None:
        """A docker CLI config of its own with a context on the second engine (made with the
        docker CLI itself), current."""
        monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
        (tmp_path / "config.json").write_text("{}")
        certs = second_engine.certs
        subprocess.run(
            [
                "docker",
                "context",
                "create",
                "lw-second",
                "--docker",
                f"host={second_engine.tcp},ca={certs['ca']},cert={certs['cert']},key={certs['key']}",
            ],
            check=True,
            capture_output=True,
            env={"DOCKER_CONFIG": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"},
        )
        subprocess.run(
            ["docker", "context", "use", "lw-second"],
            check=True,
            capture_output=True,
            env={"DOCKER_CONFIG": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"},
        )

    async def test_the_current_context_comes_first(self, jp_fetch, second_engine):
        engines = (await get_json(jp_fetch, "engines"))["engines"]
        assert [e["name"] for e in engines] == ["lw-second", "default"]
        assert engines[0]["source"] == "context" and engines[0]["tls"] is True
        assert all(e["reachable"] for e in engines), [e.get("error") for e in engines]
        second = second_engine.client()
        box = run_on(second, f"lwtest-ctx-{uuid.uuid4().hex[:6]}", "sleep 3600")
        try:
            listed = (await get_json(jp_fetch, "containers"))["containers"]
            assert [c["engine"] for c in listed if c["id"] == box.id] == ["lw-second"]
        finally:
            box.remove(force=True)
            second.close()


class TestOutage:
    """Last in this file: it stops and restarts the second engine."""

    @pytest.fixture
    def littlewings_config(self, second_engine: Any) -> dict[str, Any]:
        return {
            "batch_interval": 0.01,
            "use_docker_contexts": False,
            "engines": {
                "local": "unix:///var/run/docker.sock",
                "second": f"unix://{second_engine.socket}",
            },
        }

    async def test_one_engine_down_leaves_the_other_alone_and_comes_back(
        self, jp_fetch, lw_client, make_container, second_engine
    ):
        first = make_container("i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done")
        client = await lw_client()
        await client.request({"type": "connect", "server_id": first.name, "tail": 0}, "connected")
        await client.log_text("\n")
        assert (await get_json(jp_fetch, "engines"))["engines"][1]["reachable"]
        second_engine.stop()
        try:
            down = await client.until(
                lambda f: f.get("type") == "status" and f.get("event") == "engine_unavailable",
                timeout=20,
            )
            assert down["engine"] == "second" and down.get("reason")
            started = time.monotonic()
            listed = await get_json(jp_fetch, "containers")
            assert time.monotonic() - started < 5
            states = {e["name"]: e for e in listed["engines"]}
            assert states["local"]["reachable"] and not states["second"]["reachable"]
            assert states["second"]["error"]
            # The first engine's console goes on.
            fresh = await client.until(lambda f: f.get("type") == "log", timeout=5)
            assert fresh["data"].startswith("tick")
        finally:
            second_engine.start()
        up = await client.until(
            lambda f: (
                f.get("type") == "status"
                and f.get("event") == "engine_available"
                and f.get("engine") == "second"
            ),
            timeout=30,
        )
        assert up
        engines = (await get_json(jp_fetch, "engines"))["engines"]
        assert engines[1]["reachable"], engines


def test_the_python_api_on_two_engines(second_engine, same_name):
    import littlewings_jupyter as lw

    name, (first, second) = same_name
    engines = {
        "local": "unix:///var/run/docker.sock",
        "second": {"url": second_engine.tcp, "tls": second_engine.tls()},
    }
    with lw.Client(engines=engines, use_docker_contexts=False) as client:
        states = client.engines()
        assert [(e["name"], e["reachable"]) for e in states] == [("local", True), ("second", True)]
        assert states[1]["version"] and states[1]["tls"] is True
        twins = client.containers(name)
        assert sorted(c.engine_name for c in twins) == ["local", "second"]
        assert [c.id for c in client.containers(name, engine="second")] == [second.id]
        there = client.container(name, engine="second")
        assert there.id == second.id and there.engine_name == "second"
        assert there.logs() == "I am on the second\n"
        assert there.exec("hostname").stdout.strip() == second.id[:12]
        assert client.container(name).id == first.id  # the default engine
        with pytest.raises(lw.LittleWingsError, match="No Docker engine 'nope'"):
            client.container(name, engine="nope")
        widget = None
        pytest.importorskip("anywidget")
        from littlewings_jupyter.kernel.widget import ContainerConsole

        widget = ContainerConsole(there, tail=5)
        try:
            assert widget.engine == "second"
            line = widget.wait_for("I am on the second", timeout=1) or next(
                (ln for ln in widget.lines if "second" in ln.text), None
            )
            assert line is not None, widget.lines
        finally:
            widget.close()


def test_an_engine_down_is_left_out_of_the_list_with_a_warning(second_engine):
    import littlewings_jupyter as lw

    engines = {"local": "unix:///var/run/docker.sock", "gone": "unix:///nonexistent.sock"}
    with lw.Client(engines=engines, use_docker_contexts=False) as client:
        with pytest.warns(RuntimeWarning, match="engine 'gone' left out"):
            listed = client.containers()
        assert {c.engine_name for c in listed} <= {"local"}
        states = {e["name"]: e for e in client.engines()}
        assert states["local"]["reachable"] and not states["gone"]["reachable"]
        assert "nonexistent.sock" in states["gone"]["error"] or states["gone"]["error"]

"""Creating and removing containers (REST, WebSocket, Python) on a real engine, and refusals."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import IMAGE, TEST_LABEL
from tornado.httpclient import HTTPClientError

import littlewings_jupyter as lw
from littlewings_jupyter.docker.spec import parse_size, parse_spec

pytestmark = [pytest.mark.docker, pytest.mark.both_engines]


@pytest.fixture
def run_label(docker_client: Any) -> Iterator[dict[str, str]]:
    """Labels for containers a test creates through LittleWings; they are removed afterwards."""
    run = uuid.uuid4().hex[:8]
    labels = {TEST_LABEL: "1", "littlewings.run": run}
    yield labels
    for container in docker_client.containers.list(
        all=True, filters={"label": f"littlewings.run={run}"}
    ):
        container.remove(force=True)


def names_of(docker_client: Any, labels: dict[str, str]) -> list[str]:
    run = labels["littlewings.run"]
    found = docker_client.containers.list(all=True, filters={"label": f"littlewings.run={run}"})
    return sorted(c.name for c in found)


def made_port(summary: dict[str, Any]) -> str:
    """The host port a container's summary says its port 8080 is published on."""
    [port] = [p for p in summary["ports"] if p["container_port"] == 8080]
    assert port["host_port"], summary["ports"]
    return str(port["host_port"])


async def post_json(jp_fetch: Any, *path: str, body: Any, method: str = "POST") -> Any:
    try:
        response = await jp_fetch(
            *path, method=method, body=None if body is None else json.dumps(body)
        )
    except HTTPClientError as exc:
        assert exc.response is not None
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body)


async def test_create_over_rest_with_env_limits_and_ports(
    jp_fetch: Any, docker_client: Any, run_label: dict[str, str]
) -> None:
    name = f"lwtest-made-{run_label['littlewings.run']}"
    code, body = await post_json(
        jp_fetch,
        "api",
        "littlewings",
        "containers",
        body={
            "image": IMAGE,
            "command": ["sh", "-c", "echo made-$GREETING; sleep 3600"],
            "name": name,
            "env": {"GREETING": "hello", "N": 3},
            "mem_limit": "64m",
            "memswap_limit": "128m",
            "cpus": 0.5,
            "restart_policy": "on-failure:2",
            "labels": run_label,
            "ports": ["127.0.0.1:0:8080"],
        },
    )
    assert code == 201, body
    made = body["container"]
    assert made["name"] == name and made["state"] == "running"

    info = docker_client.api.inspect_container(made["id"])
    config, host = info["Config"], info["HostConfig"]
    assert "GREETING=hello" in config["Env"] and "N=3" in config["Env"]
    assert host["Memory"] == 64 * 1024 * 1024 and host["MemorySwap"] == 128 * 1024 * 1024
    assert host["NanoCpus"] == 500_000_000
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    [binding] = host["PortBindings"]["8080/tcp"]
    # "0": any free port (Podman's inspect says the port it chose); the summary says which.
    assert binding["HostIp"] == "127.0.0.1" and binding["HostPort"] in ("0", made_port(made))
    assert config["Labels"]["littlewings.created-by"]  # who made it
    assert host["Privileged"] is False

    # The images the picker offers, and the audit entry with the new container's id.
    images = json.loads((await jp_fetch("api", "littlewings", "images")).body)["images"]
    assert any({IMAGE, f"localhost/{IMAGE}"} & set(image["tags"]) for image in images)
    audit = json.loads(
        (await jp_fetch("api", "littlewings", "audit", params={"action": "create"})).body
    )
    entry = next(e for e in audit["entries"] if e["container_id"] == made["id"])
    assert entry["result"] == "ok" and entry["container_name"] == name
    assert IMAGE in entry["detail"] and "memory=67108864" in entry["detail"]

    # Remove: refused while running without force, then done with it.
    code, body = await post_json(
        jp_fetch, "api", "littlewings", "containers", made["id"], body=None, method="DELETE"
    )
    assert code == 409 and "force" in body["message"], body
    response = await jp_fetch(
        "api", "littlewings", "containers", name, method="DELETE", params={"force": "1"}
    )
    assert json.loads(response.body)["removed"]["id"] == made["id"]
    assert names_of(docker_client, run_label) == []


@pytest.mark.parametrize(
    "fields, status, field, words",
    [
        ({"image": "no/such:image"}, 400, "image", "no local image"),
        ({"image": IMAGE, "privileged": True}, 403, "privileged", "allow_privileged"),
        ({"image": IMAGE, "network": "host"}, 403, "network", "host's network"),
        ({"image": IMAGE, "pid_mode": "host"}, 403, "pid_mode", "PID"),
        ({"image": IMAGE, "volumes": {"/etc": "/x"}}, 403, "volumes", "allowed_bind_roots"),
        ({"image": IMAGE, "ports": ["8080:99999"]}, 400, "ports", "1 to 65535"),
        ({"image": IMAGE, "ports": ["99999:80"]}, 400, "ports", "0 to 65535"),
        ({"image": IMAGE, "ports": {"80/icmp": 8080}}, 400, "ports", "protocol"),
        ({"image": IMAGE, "mem_limit": "lots"}, 400, "mem_limit", "not a size"),
        ({"image": IMAGE, "mem_limit": "1k"}, 400, "mem_limit", "6 MiB"),
        ({"image": IMAGE, "cpus": 0}, 400, "cpus", "more than 0"),
        ({"image": IMAGE, "name": "bad name!"}, 400, "name", "letters, digits"),
        ({"image": IMAGE, "restart_policy": "sometimes"}, 400, "restart_policy", "on-failure"),
        ({"image": IMAGE, "env": ["NOEQUALS"]}, 400, "env", "KEY=VALUE"),
        ({"image": IMAGE, "colour": "blue"}, 400, "colour", "unknown field"),
        ({"command": "true"}, 400, "image", "missing"),
    ],
)
async def test_bad_or_refused_descriptions_name_their_field(
    jp_fetch: Any,
    docker_client: Any,
    run_label: dict[str, str],
    fields: dict[str, Any],
    status: int,
    field: str,
    words: str,
) -> None:
    code, body = await post_json(
        jp_fetch, "api", "littlewings", "containers", body={**fields, "labels": run_label}
    )
    assert (code, body.get("field")) == (status, field), body
    assert words in body["message"], body
    assert names_of(docker_client, run_label) == []  # nothing half-made


async def test_name_taken_and_port_in_use_leave_nothing_behind(
    jp_fetch: Any, docker_client: Any, run_label: dict[str, str], make_container: Any
) -> None:
    taken = make_container()
    code, body = await post_json(
        jp_fetch,
        "api",
        "littlewings",
        "containers",
        body={"image": IMAGE, "name": taken.name, "labels": run_label},
    )
    assert code == 409 and body["field"] == "name" and "already in use" in body["message"], body

    first = {"image": IMAGE, "command": "sleep 3600", "ports": {"80": ["127.0.0.1", 0]}}
    code, body = await post_json(
        jp_fetch, "api", "littlewings", "containers", body={**first, "labels": run_label}
    )
    assert code == 201, body
    port = docker_client.api.port(body["container"]["id"], 80)[0]["HostPort"]
    second = {**first, "name": f"lwtest-second-{run_label['littlewings.run']}"}
    second["ports"] = {"80": ["127.0.0.1", int(port)]}
    code, body = await post_json(
        jp_fetch, "api", "littlewings", "containers", body={**second, "labels": run_label}
    )
    assert code == 409 and body["field"] == "ports", body
    assert "removed" in body["message"]
    assert second["name"] not in names_of(docker_client, run_label)  # not left "Created"


async def test_create_and_remove_over_the_websocket(
    lw_client: Any, docker_client: Any, run_label: dict[str, str]
) -> None:
    client = await lw_client()
    images = await client.request({"type": "images"}, "images")
    # (Podman names a local image localhost/…)
    assert any({IMAGE, f"localhost/{IMAGE}"} & set(i["tags"]) for i in images["images"])
    created = await client.request(
        {
            "type": "create",
            "image": IMAGE,
            "command": "sleep 3600",  # a string is split into words, as docker run does
            "labels": run_label,
            "stdin_open": True,
        },
        "created",
    )
    assert created["type"] == "created", created
    container = created["container"]
    assert container["open_stdin"] is True and container["state"] == "running"
    bad = await client.request({"type": "create", "image": IMAGE, "cpus": "many"}, "created")
    assert bad["code"] == "invalid_message" and bad["field"] == "cpus", bad
    missing = await client.request({"type": "remove"}, "removed")
    assert missing["code"] == "invalid_message"
    removed = await client.request(
        {"type": "remove", "server_id": container["name"], "force": True}, "removed"
    )
    assert removed["type"] == "removed" and removed["container"] == container["id"], removed
    assert names_of(docker_client, run_label) == []


class TestManageDisabled:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"manage_enabled": False, "allowed_images": ["python:*"]}

    async def test_manage_enabled_false(self, jp_fetch: Any, make_container: Any) -> None:
        code, body = await post_json(
            jp_fetch, "api", "littlewings", "containers", body={"image": IMAGE}
        )
        assert code == 403 and "manage_enabled" in body["message"], body
        box = make_container()
        code, body = await post_json(
            jp_fetch, "api", "littlewings", "containers", box.id, body=None, method="DELETE"
        )
        assert code == 403 and "manage_enabled" in body["message"], body
        audit = json.loads((await jp_fetch("api", "littlewings", "audit")).body)["entries"]
        assert {(e["action"], e["result"]) for e in audit} == {
            ("create", "denied"),
            ("remove", "denied"),
        }


class TestAllowedImages:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"allowed_images": ["python:*"], "read_only": False}

    async def test_an_image_not_allowed(self, jp_fetch: Any) -> None:
        code, body = await post_json(
            jp_fetch, "api", "littlewings", "containers", body={"image": IMAGE}
        )
        assert (code, body["field"]) == (403, "image") and "python:*" in body["message"], body


class TestReadOnly:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"read_only": True}

    async def test_read_only_refuses_create(self, jp_fetch: Any) -> None:
        code, body = await post_json(
            jp_fetch, "api", "littlewings", "containers", body={"image": IMAGE}
        )
        assert code == 403 and "read-only" in body["message"], body


def test_python_run_and_remove(docker_client: Any, run_label: dict[str, str]) -> None:
    c = lw.run(
        IMAGE,
        ["sh", "-c", "echo py-$((20+22)); sleep 3600"],
        env=["A=1"],
        mem_limit="32m",
        labels=run_label,
    )
    assert c.status == "running"
    info = docker_client.api.inspect_container(c.id)
    assert info["HostConfig"]["Memory"] == 32 * 1024 * 1024 and "A=1" in info["Config"]["Env"]
    with pytest.raises(lw.Conflict, match="force"):
        c.remove()
    with pytest.raises(lw.InvalidMessage, match="'ports'"):
        lw.run(IMAGE, ports=["x:y"], labels=run_label)
    with pytest.raises(lw.Forbidden, match="privileged"):
        lw.run(IMAGE, privileged=True, labels=run_label)
    created = lw.run(IMAGE, "true", detach=False, labels=run_label)
    assert created.status == "created"
    created.remove()
    c.remove(force=True)
    assert names_of(docker_client, run_label) == []
    with pytest.raises(lw.Forbidden):
        lw.Client(read_only=True).run(IMAGE, labels=run_label)


def test_sizes_and_spellings() -> None:
    assert parse_size("512m", "m") == 512 * 1024**2
    assert parse_size("1.5g", "m") == int(1.5 * 1024**3)
    assert parse_size("64MiB", "m") == 64 * 1024**2
    assert parse_size(1024, "m") == 1024
    spec = parse_spec({"image": "x", "memory": "8m", "environment": ["A=b=c"], "restart": "always"})
    assert spec.mem_limit == 8 * 1024**2 and spec.env == {"A": "b=c"}
    assert spec.restart_policy == {"Name": "always", "MaximumRetryCount": 0}
    spec = parse_spec({"image": "x", "ports": ["8080:80", "127.0.0.1:53:53/udp"]})
    assert spec.ports == {"80/tcp": 8080, "53/udp": ("127.0.0.1", 53)}
    spec = parse_spec({"image": "x", "volumes": ["data:/data", "/srv/a:/a:ro"]})
    assert spec.volumes == {
        "data": {"bind": "/data", "mode": "rw"},
        "/srv/a": {"bind": "/a", "mode": "ro"},
    }
    assert list(spec.binds) == ["/srv/a"]

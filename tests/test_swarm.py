"""Docker Swarm on a real single-node swarm (the second test engine made a manager): services,
a service's logs merged over its tasks, scaling while watched."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.docker

IMAGE = "littlewings/busybox:latest"
SCRIPT = 'i=0; while true; do i=$((i+1)); echo "slot $SLOT line $i"; sleep 0.2; done'


@pytest.fixture(scope="module")
def swarm(second_engine: Any) -> Any:
    second_engine.init_swarm()
    return second_engine


@pytest.fixture
def service(swarm: Any) -> Any:
    """A replicated service of 2 tasks, each printing its slot."""
    import docker.types

    client = swarm.client()
    name = f"lwsvc{uuid.uuid4().hex[:6]}"
    created = client.services.create(
        IMAGE,
        ["sh", "-c", SCRIPT],
        name=name,
        env=["SLOT={{.Task.Slot}}"],
        labels={"littlewings.test": "1"},
        container_labels={"littlewings.test": "1"},
        mode=docker.types.ServiceMode("replicated", replicas=2),
    )
    deadline = time.monotonic() + 30
    while sum(1 for t in created.tasks() if t["Status"]["State"] == "running") < 2:
        assert time.monotonic() < deadline, created.tasks()
        time.sleep(0.2)
    time.sleep(1)
    yield created
    created.remove()
    client.close()


@pytest.fixture
def littlewings_config(second_engine: Any) -> dict[str, Any]:
    return {
        "batch_interval": 0.01,
        "use_docker_contexts": False,
        "engines": {
            "local": "unix:///var/run/docker.sock",
            "swarm": f"unix://{second_engine.socket}",
        },
    }


def lines_of(frames: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for frame in frames:
        if frame.get("type") == "log":
            out.extend((frame["container"], line) for line in frame["data"].splitlines())
    return out


async def test_services_are_listed_on_the_manager_only(jp_fetch, lw_client, service):
    answer = json.loads(
        (await jp_fetch("api", "littlewings", "services", params={"engine": "swarm"})).body
    )
    mine = [s for s in answer["services"] if s["name"] == service.name]
    assert mine and mine[0]["replicas"] == 2 and mine[0]["running"] == 2
    assert mine[0]["mode"] == "replicated" and mine[0]["image"] == IMAGE
    assert mine[0]["engine"] == "swarm"
    engines = json.loads((await jp_fetch("api", "littlewings", "engines")).body)["engines"]
    assert {e["name"]: e.get("swarm") for e in engines} == {"local": None, "swarm": "manager"}
    client = await lw_client()
    reply = await client.request({"type": "services", "engine": "swarm"}, "services")
    assert service.name in [s["name"] for s in reply["services"]]
    refused = await client.request({"type": "services"}, "services")
    assert refused["code"] == "not_swarm_manager" and "'local'" in refused["message"]


def scale(swarm: Any, name: str, replicas: int) -> None:
    """``docker service scale`` (docker-py's scale() sends an update that replaces every task)."""
    subprocess.run(
        [
            "docker",
            "-H",
            f"unix://{swarm.socket}",
            "service",
            "scale",
            "--detach",
            f"{name}={replicas}",
        ],
        check=True,
        capture_output=True,
    )


async def test_a_service_s_logs_merged_over_its_tasks_and_a_scale_up(lw_client, service, swarm):
    client = await lw_client()
    reply = await client.request(
        {
            "type": "connect",
            "engine": "swarm",
            "service": service.name,
            "tail": 3,
            "timestamps": True,
        },
        "connected",
    )
    assert reply["group"] == {"kind": "service", "name": service.name}
    names = sorted(m["name"] for m in reply["members"])
    assert names == [f"{service.name}.1", f"{service.name}.2"]
    end = await client.until("history_end")
    assert end["lines"] == 6 and set(end["cursors"]) == set(names)
    deadline = time.monotonic() + 10
    while len(lines_of(client.received)) < 20:
        assert time.monotonic() < deadline
        await client.recv(5)
    seen = lines_of(client.received)
    # Each line is marked with its task: the text says which slot printed it.
    for task, text in seen:
        slot = re.search(r"slot (\d+) line", text).group(1)  # type: ignore[union-attr]
        assert task == f"{service.name}.{slot}", (task, text)
    stamps = [text.split(" ", 1)[0] for _, text in seen]
    assert stamps == sorted(stamps)
    # Scaling up while watched: the new task joins, with its lines.
    mark = client.mark()
    await asyncio.get_running_loop().run_in_executor(None, scale, swarm, service.name, 3)
    added = await client.until("member_added", since=mark, timeout=30)
    assert added["container"]["name"] == f"{service.name}.3"
    assert [
        f["container"]["name"] for f in client.received[mark:] if f["type"] == "member_added"
    ] == [f"{service.name}.3"]
    await client.until(
        lambda f: f.get("type") == "log" and f["container"] == f"{service.name}.3", timeout=15
    )


async def test_a_service_download_and_the_python_api(jp_fetch, service, swarm):
    import littlewings_jupyter as lw

    text = (
        await jp_fetch(
            "api",
            "littlewings",
            "logs",
            params={"engine": "swarm", "service": service.name, "tail": "2"},
        )
    ).body.decode()
    rows = [re.fullmatch(r"(\S+) +\| slot (\d) line \d+", ln) for ln in text.splitlines()]
    assert len(rows) == 4 and all(rows), text
    assert all(m.group(1) == f"{service.name}.{m.group(2)}" for m in rows if m)

    engines = {"local": "unix:///var/run/docker.sock", "swarm": f"unix://{swarm.socket}"}
    with lw.Client(engines=engines) as client:
        assert service.name in [s["name"] for s in client.services(engine="swarm")]
        with pytest.raises(lw.LittleWingsError, match="not a Docker Swarm manager"):
            client.services()
        web = client.service(service.name, engine="swarm")
        assert sorted(t["name"] for t in web.tasks) == [f"{service.name}.1", f"{service.name}.2"]
        lines = web.log_lines(tail=2)
        assert len(lines) == 4
        assert all(ln.container == f"{service.name}.{ln.text.split()[1]}" for ln in lines)
        followed = []
        for line in web.follow(timeout=3):
            followed.append(line)
            if len(followed) >= 6:
                break
        assert {ln.container for ln in followed} == {f"{service.name}.1", f"{service.name}.2"}

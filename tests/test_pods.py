"""Podman pods, shown like Compose projects: the pod in the list and in events, a pod's merged
logs (WebSocket, REST, Python), alert rules by pod (a real Podman's API service).

Pods are made by the ``pods`` fixture (tests/conftest.py) through Podman's own API, each with
its infra container as ``podman pod create`` makes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from typing import Any

import pytest

pytestmark = [
    pytest.mark.docker,
    pytest.mark.parametrize("engine_kind", ["podman"], indirect=True),
]


def ticker(tag: str) -> str:
    return f'i=0; while true; do i=$((i+1)); echo "{tag} $i"; sleep 0.2; done'


async def read_until(client: Any, predicate: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"condition not met in time; last frames {client.received[-5:]}")
        with contextlib.suppress(asyncio.TimeoutError):
            await client.recv(min(left, 0.5))


def log_lines(client: Any, container: str) -> list[str]:
    return [
        line
        for frame in client.received
        if frame.get("type") == "log" and frame.get("container") == container
        for line in frame["data"].splitlines()
    ]


async def test_the_list_and_events_say_each_containers_pod(jp_fetch, lw_client, pods):
    pod = pods.pod()
    client = await lw_client()
    await client.request({"type": "events", "enabled": True}, "events")
    pods.container(pod, "sleep 3600", f"{pod}-web")
    # The event of a container made in the pod names the pod (Podman's compatible inspect
    # does not: the engine asks its own list).
    started = await client.until(
        lambda f: (
            f.get("type") == "container_event"
            and f["event"] == "started"
            and f["container"].get("name") == f"{pod}-web"
        ),
        timeout=15,
    )
    assert started["container"]["pod"] == pod
    listed = json.loads((await jp_fetch("api", "littlewings", "containers")).body)
    mine = {c["name"]: c for c in listed["containers"] if c.get("pod") == pod}
    # The pod's own infra container is one of its members, as `podman ps --pod` shows.
    assert f"{pod}-web" in mine
    assert any(name.endswith("-infra") for name in mine), sorted(mine)
    detail = json.loads((await jp_fetch("api", "littlewings", "containers", f"{pod}-web")).body)
    assert detail["pod"] == pod


async def test_a_pods_merged_logs_take_in_a_container_added_later(lw_client, pods):
    pod = pods.pod()
    pods.container(pod, ticker("api"), f"{pod}-api")
    client = await lw_client()
    reply = await client.request({"type": "connect", "pod": pod, "tail": 5}, "connected")
    assert reply["group"] == {"kind": "pod", "name": pod}
    assert f"{pod}-api" in [m["name"] for m in reply["members"]]
    await read_until(client, lambda: len(log_lines(client, f"{pod}-api")) >= 8)
    # A container made in the pod while the view is open joins it, from its first line.
    pods.container(pod, ticker("db"), f"{pod}-db")
    await client.until(
        lambda f: f.get("type") == "member_added" and f["container"]["name"] == f"{pod}-db", 20
    )
    await read_until(client, lambda: len(log_lines(client, f"{pod}-db")) >= 3)
    db = log_lines(client, f"{pod}-db")
    assert db[:3] == ["db 1", "db 2", "db 3"], db[:5]
    # A container of no pod with the pod's name in its labels is not a member.
    assert all(
        frame.get("container", "").startswith(pod)
        for frame in client.received
        if frame.get("type") == "log"
    )


async def test_a_pods_logs_as_a_download_and_in_python(jp_fetch, pods, make_container):
    pod = pods.pod()
    pods.container(pod, "echo from-api; sleep 3600", f"{pod}-api")
    pods.container(pod, "echo from-db; sleep 3600", f"{pod}-db")
    make_container("echo outsider; sleep 3600", labels={"pod": pod})

    async def download() -> str:
        response = await jp_fetch("api", "littlewings", "logs", params={"pod": pod})
        return response.body.decode()

    deadline = time.monotonic() + 15
    text = await download()
    while ("from-db" not in text or "from-api" not in text) and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        text = await download()
    # Each line after its container's name, the names padded to one width.
    assert re.search(rf"^{pod}-api +\| from-api$", text, re.M), text
    assert re.search(rf"^{pod}-db +\| from-db$", text, re.M), text
    assert "outsider" not in text

    import littlewings_jupyter as lw

    group = lw.pod(pod)
    assert group.kind == "pod"
    names = sorted(c.name for c in group.containers)
    assert f"{pod}-api" in names and f"{pod}-db" in names
    assert sorted(c.name for c in lw.containers(pod=pod)) == names
    history = await asyncio.to_thread(group.logs)
    assert "from-api" in history and "from-db" in history and "outsider" not in history


async def test_an_alert_rule_names_a_pod(lw_client, pods, docker_client):
    pod = pods.pod()
    pods.container(pod, "sleep 3600", f"{pod}-ok")
    doomed = pods.container(pod, "sleep 2; exit 3", f"{pod}-doomed")
    client = await lw_client()
    reply = await client.request({"type": "alerts", "rules": [{"pod": pod}]}, "alerts")
    assert reply["type"] == "alerts", reply
    alert = await client.until("alert", timeout=20)
    assert alert["kind"] == "died" and alert["container"]["id"] == doomed
    assert alert["container"]["name"] == f"{pod}-doomed" and alert["exit_code"] == 3


async def test_a_pod_named_wrongly_is_told(lw_client, jp_fetch):
    client = await lw_client()
    error = await client.request({"type": "connect", "pod": " "}, "error")
    assert "'pod' must be a Podman pod's name" in error["message"]
    error = await client.request({"type": "connect", "pod": "x", "project": "y"}, "error")
    assert "not project and pod" in error["message"] or "not pod and project" in error["message"]
    unknown = f"lwnopod{uuid.uuid4().hex[:6]}"
    reply = await client.request({"type": "connect", "pod": unknown}, "connected")
    assert reply["members"] == []

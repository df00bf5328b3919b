"""A Podman engine beside Docker in JupyterLab's Containers sidebar (the Podman service that
`make test` starts): its header says "Podman 4.x", a pod is a group as a Compose project is,
with its merged logs and Stop/Start All on its header."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import LabServer  # tests/browser/conftest.py
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.podman]

PANEL = "#littlewings-containers"


@pytest.fixture(scope="module")
def podman_lab_server(
    tmp_path_factory: pytest.TempPathFactory, engine_clients: Any, podman_url: str
) -> Iterator[LabServer]:
    """A JupyterLab server with this machine's Docker (``local``) and Podman (``podman``)."""
    engine_clients.get("podman")  # (a clear error when Podman's service is not up)
    server = LabServer(
        tmp_path_factory.mktemp("lab-podman"),
        config={
            "LittleWings": {
                "engines": {"local": "unix:///var/run/docker.sock", "podman": podman_url}
            }
        },
    )
    server.start()
    yield server
    server.stop()


def pod_header(lab: Any, pod: str) -> Any:
    return lab.page.locator(
        f"{PANEL} .jp-LittleWings-groupRow[data-group='{pod}'][data-kind='pod']"
        "[data-engine='podman']"
    )


def test_a_pod_beside_docker_its_logs_and_its_actions(
    podman_lab_server: LabServer,
    make_page: Callable[..., Any],
    pods: Any,
    make_container: Callable[..., Any],
) -> None:
    pod = pods.pod(f"lwshop{uuid.uuid4().hex[:6]}")
    # On Docker beside it: a Compose project (a group of the other kind, on the other engine).
    project = f"lwblog{uuid.uuid4().hex[:6]}"
    compose = {"com.docker.compose.project": project, "com.docker.compose.service": "web"}
    web = make_container("sleep 100000", name=f"{project}-web-1", labels=compose)
    api = pods.container(
        pod, 'i=0; while :; do i=$((i+1)); echo "api $i"; sleep 0.5; done', f"{pod}-api"
    )
    db = pods.container(pod, 'echo "db ready"; sleep 100000', f"{pod}-db")
    lab = make_page(podman_lab_server)
    lab.show_containers()

    docker = lab.page.locator(f"{PANEL} .jp-LittleWings-engineRow[data-engine='local']")
    podman = lab.page.locator(f"{PANEL} .jp-LittleWings-engineRow[data-engine='podman']")
    expect(docker.locator(".jp-LittleWings-engineDetail")).to_contain_text(
        re.compile(r"^Docker \d+\.\d+")
    )
    expect(podman.locator(".jp-LittleWings-engineDetail")).to_contain_text(
        re.compile(r"^Podman \d+\.\d+")
    )
    project_header = lab.page.locator(
        f"{PANEL} .jp-LittleWings-groupRow[data-group='{project}'][data-kind='project']"
        "[data-engine='local']"
    )
    expect(project_header).to_be_visible(timeout=15000)
    expect(lab.page.locator(f"{PANEL} .jp-LittleWings-item[data-id='{web.id}']")).to_be_visible()
    # The pod heads its containers (its infra container among them), under Podman's header.
    header = pod_header(lab, pod)
    expect(header).to_be_visible(timeout=15000)
    expect(header.locator(".jp-LittleWings-groupHeader")).to_have_attribute(
        "title", f"Podman pod {pod}"
    )
    expect(header.locator(".jp-LittleWings-groupCount")).to_have_text("3/3", timeout=15000)
    # It says it is a pod (a project's header does not say "pod").
    expect(header.locator(".jp-LittleWings-groupKind")).to_have_text("pod")
    expect(project_header.locator(".jp-LittleWings-groupKind")).to_have_count(0)
    member = lab.page.locator(f"{PANEL} .jp-LittleWings-item[data-engine='podman']")
    for cid in (api, db):
        expect(member.and_(lab.page.locator(f"[data-id='{cid}']"))).to_be_visible()
    tops = lab.page.evaluate(
        """([pod, id]) => {
            const top = sel => parseFloat(document.querySelector(sel).style.top);
            const p = '#littlewings-containers ';
            return {
                podman: top(p + ".jp-LittleWings-engineRow[data-engine='podman']"),
                pod: top(p + `.jp-LittleWings-groupRow[data-group='${pod}']`),
                member: top(p + `.jp-LittleWings-item[data-id='${id}']`),
            };
        }""",
        [pod, db],
    )
    assert tops["podman"] < tops["pod"] < tops["member"], tops
    lab.screenshot("podman-sidebar")

    # The pod's merged logs, from the button on its header.
    header.locator(".jp-LittleWings-projectLogs").click()
    console = lab.page.locator(
        ".jp-LittleWings-mergedConsole:visible",
        has=lab.page.locator(".jp-LittleWings-mergedName", has_text=pod),
    )
    expect(console.locator(".jp-LittleWings-mergedMeta")).to_contain_text(
        "Podman pod · 3 containers, 3 running", timeout=15000
    )
    deadline = time.monotonic() + 20
    shown = ""
    while time.monotonic() < deadline:
        texts = console.locator(".jp-LittleWings-logView .xterm-rows > div").all_inner_texts()
        shown = "\n".join(t.replace("\xa0", " ") for t in texts)
        if "db ready" in shown and re.search(r"api [3-9]", shown):
            break
        time.sleep(0.3)
    assert "db ready" in shown and re.search(r"api [3-9]", shown), shown
    lab.screenshot("podman-pod-logs")

    # Stop All on the pod's header stops every container of the pod.
    def menu(label: str) -> Any:
        header.locator(".jp-LittleWings-groupHeader").click(button="right")
        item = lab.page.get_by_role("menuitem", name=label, exact=True)
        expect(item).to_be_visible()
        return item

    expect(menu("Open Pod Logs")).to_be_visible()
    lab.page.keyboard.press("Escape")
    menu("Stop All (3)").click()
    expect(header.locator(".jp-LittleWings-groupCount")).to_have_text("0/3", timeout=30000)
    client = pods.api
    for cid in (api, db):
        state = client.inspect_container(cid)["State"]["Status"]
        assert state in ("exited", "stopped"), state
    menu("Start All (3)").click()
    expect(header.locator(".jp-LittleWings-groupCount")).to_have_text("3/3", timeout=30000)
    assert not lab.errors

"""A Swarm of three nodes in JupyterLab's Containers sidebar (scripts/swarm-up.sh): the
manager's engine lists its services and its nodes, each node with the tasks it runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import LabServer  # tests/browser/conftest.py
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

PANEL = "#littlewings-containers"


@pytest.fixture(scope="module")
def cluster_lab_server(
    tmp_path_factory: pytest.TempPathFactory, swarm_cluster: Any
) -> Iterator[LabServer]:
    """A JupyterLab server with this machine's Docker and the cluster's first manager."""
    server = LabServer(
        tmp_path_factory.mktemp("lab-cluster"),
        config={
            "LittleWings": {
                "engines": {
                    "local": "unix:///var/run/docker.sock",
                    "cluster": f"unix://{swarm_cluster.sockets[0]}",
                }
            }
        },
    )
    server.start()
    yield server
    server.stop()


def test_the_nodes_of_a_swarm_and_the_tasks_on_them(
    cluster_lab_server: LabServer, make_page: Callable[..., Any], spread: Any
) -> None:
    lab = make_page(cluster_lab_server)
    lab.show_containers()
    nodes = lab.page.locator(f"{PANEL} .jp-LittleWings-nodesRow[data-engine='cluster']")
    expect(nodes).to_be_visible(timeout=30000)
    expect(nodes.locator(".jp-LittleWings-groupCount")).to_have_text("3/3")
    rows = lab.page.locator(f"{PANEL} .jp-LittleWings-node[data-engine='cluster']")
    expect(rows).to_have_count(3)
    # Each node runs one task of the service: its name under the node's hostname.
    for number in (1, 2, 3):
        row = rows.and_(lab.page.locator(f"[data-node='lw-node-{number}']"))
        expect(row).to_contain_text(f"lw-node-{number}")
        expect(row.locator(".jp-LittleWings-itemImage")).to_contain_text(
            f"{spread.name}.", timeout=30000
        )
    tasks = " ".join(rows.locator(".jp-LittleWings-itemImage").all_inner_texts())
    assert all(f"{spread.name}.{slot}" in tasks for slot in (1, 2, 3)), tasks
    # One leader among them, the others managers.
    roles = sorted(rows.locator(".jp-LittleWings-nodeRole").all_inner_texts())
    assert roles == ["leader", "manager", "manager"], roles
    service = lab.page.locator(
        f"{PANEL} .jp-LittleWings-service[data-service='{spread.name}'][data-engine='cluster']"
    )
    expect(service).to_contain_text("3/3")
    lab.screenshot("swarm-cluster-sidebar")
    assert not lab.errors


def test_a_task_opens_from_its_nodes_row(
    cluster_lab_server: LabServer, make_page: Callable[..., Any], spread: Any
) -> None:
    lab = make_page(cluster_lab_server)
    lab.show_containers()
    link = lab.page.locator(
        f"{PANEL} .jp-LittleWings-node[data-engine='cluster'] "
        f".jp-LittleWings-taskLink[data-task='{spread.name}.2']"
    )
    expect(link).to_be_visible(timeout=30000)
    link.click()
    console = lab.page.locator(
        ".jp-LittleWings-mergedConsole:visible",
        has=lab.page.locator(".jp-LittleWings-mergedName", has_text=f"{spread.name}.2"),
    )
    expect(console).to_be_visible(timeout=20000)
    expect(console.locator(".jp-LittleWings-mergedMeta")).to_contain_text(
        "Swarm task · 1 task", timeout=20000
    )
    text = lab.wait_for_log(console, "slot 2 line ", timeout=30)
    assert "slot 1 line" not in text and "slot 3 line" not in text, text[-500:]
    assert not lab.errors

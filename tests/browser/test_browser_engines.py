"""Several Docker engines in JupyterLab's Containers sidebar, against two real dockerd: this
machine's (``local``, the default) and the second one of ``tests/conftest.py`` (``second``).
Also the sidebar's virtualized list with hundreds of containers."""

from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import IMAGE, TEST_LABEL, wait_for_docker_log  # tests/browser/conftest.py
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

PANEL = "#littlewings-containers"


def item(lab: Any, name: str, engine: str) -> Any:
    """The sidebar row of a container of an engine."""
    return lab.page.locator(
        f"{PANEL} .jp-LittleWings-item[data-name='{name}'][data-engine='{engine}']"
    )


def engine_header(lab: Any, engine: str) -> Any:
    """The header row of an engine."""
    return lab.page.locator(f"{PANEL} .jp-LittleWings-engineRow[data-engine='{engine}']")


@pytest.fixture
def engines_lab(engines_lab_server: Any, make_page: Callable[..., Any]) -> Any:
    """A JupyterLab page on the server with two engines."""
    return make_page(engines_lab_server)


@pytest.fixture
def on_engine(docker_client: Any, second_engine: Any) -> Iterator[Callable[..., Any]]:
    """Create (and start) a container on ``local`` or ``second``; all are removed afterwards."""
    second = second_engine.client()
    clients = {"local": docker_client, "second": second}
    created: list[tuple[str, str]] = []

    def make(
        engine: str,
        name: str,
        command: list[str],
        start: bool = True,
        labels: dict[str, str] | None = None,
    ) -> Any:
        client = clients[engine]
        container = client.containers.create(
            IMAGE,
            command,
            name=name,
            labels={TEST_LABEL: "1", **(labels or {})},
            network_mode="none",
        )
        created.append((engine, container.id))
        if start:
            container.start()
        return container

    yield make
    for engine, cid in created:
        with contextlib.suppress(Exception):
            clients[engine].containers.get(cid).remove(force=True)
    second.close()


def create_many(client: Any, names: list[str]) -> list[Any]:
    """Create containers (not started) in parallel: one create takes ~30 ms."""

    def one(name: str) -> Any:
        return client.containers.create(
            IMAGE, ["true"], name=name, labels={TEST_LABEL: "1"}, network_mode="none"
        )

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, names))


def remove_many(containers: list[Any]) -> None:
    """Remove containers in parallel."""

    def one(container: Any) -> None:
        with contextlib.suppress(Exception):
            container.remove(force=True)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, containers))


def shown_names(lab: Any) -> list[str]:
    """The names of the container rows in the DOM, top to bottom."""
    return list(
        lab.page.evaluate(
            """() => [...document.querySelectorAll('#littlewings-containers .jp-LittleWings-item')]
                .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
                .map(n => n.dataset.name)"""
        )
    )


def test_both_engines_side_by_side_and_the_same_name_kept_apart(
    engines_lab: Any, on_engine: Callable[..., Any]
) -> None:
    """Each engine heads its containers; a name on both engines is two rows, and each opens
    the console of its own container (its own logs, its engine in the header and the tab)."""
    lab = engines_lab
    name = f"lwe-{uuid.uuid4().hex[:6]}-web"
    only_second = f"lwe-{uuid.uuid4().hex[:6]}-only"
    here = on_engine("local", name, ["sh", "-c", "echo hello from local; sleep 100000"])
    there = on_engine("second", name, ["sh", "-c", "echo hello from second; sleep 100000"])
    on_engine("second", only_second, ["sh", "-c", "sleep 100000"])
    wait_for_docker_log(here, "hello from local")
    wait_for_docker_log(there, "hello from second")
    lab.show_containers()

    local, second = engine_header(lab, "local"), engine_header(lab, "second")
    expect(local).to_contain_text("local")
    expect(local).to_contain_text("/var/run/docker.sock")
    # Which engine, and its release: "Docker 20.10.24" (Podman's say "Podman 4.3.1").
    expect(local.locator(".jp-LittleWings-engineDetail")).to_contain_text(
        re.compile(r"^Docker \d+\.\d+")
    )
    expect(second).to_contain_text("second")
    expect(item(lab, name, "local")).to_be_visible()
    expect(item(lab, name, "second")).to_be_visible()
    expect(item(lab, only_second, "second")).to_be_visible()
    expect(item(lab, only_second, "local")).to_have_count(0)
    # The engines in the server's order, each row under its own engine's header.
    tops = lab.page.evaluate(
        """([name]) => {
            const top = sel => parseFloat(document.querySelector(sel).style.top);
            const p = '#littlewings-containers ';
            return {
                local: top(p + ".jp-LittleWings-engineRow[data-engine='local']"),
                second: top(p + ".jp-LittleWings-engineRow[data-engine='second']"),
                here: top(p + `.jp-LittleWings-item[data-name='${name}'][data-engine='local']`),
                there: top(p + `.jp-LittleWings-item[data-name='${name}'][data-engine='second']`),
            };
        }""",
        [name],
    )
    assert tops["local"] < tops["here"] < tops["second"] < tops["there"], tops
    lab.screenshot("engines-sidebar")

    # Collapsing an engine hides its rows, not the other's.
    second.locator(".jp-LittleWings-engineHeader").click()
    expect(item(lab, name, "second")).to_have_count(0)
    expect(item(lab, name, "local")).to_be_visible()
    second.locator(".jp-LittleWings-engineHeader").click()
    expect(item(lab, name, "second")).to_be_visible()

    # Each row opens its own container's console.
    item(lab, name, "local").dblclick()
    console = lab.console(name)
    lab.wait_for_log(console, "hello from local")
    assert "hello from second" not in lab.log_text(console)
    expect(console.locator(".jp-LittleWings-consoleEngine")).to_have_count(0)

    item(lab, name, "second").dblclick()
    tab = lab.page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text(f"{name} @ second")
    console = lab.console(name)
    expect(console.locator(".jp-LittleWings-consoleEngine")).to_have_text("second")
    lab.wait_for_log(console, "hello from second")
    assert "hello from local" not in lab.log_text(console)
    # Two consoles, one per engine (the second did not bring the first back).
    expect(lab.page.locator(".jp-LittleWings-console")).to_have_count(2)
    lab.screenshot("engines-console-second")

    # A command runs in the right container.
    lab.run_command(console, "hostname", "exec")
    lab.wait_for_log(console, there.id[:12])
    assert not lab.errors, lab.errors


def test_an_engine_down_leaves_the_other_live_and_recovers(
    engines_lab: Any, on_engine: Callable[..., Any], second_engine: Any
) -> None:
    """Stopping the second dockerd: its header says unreachable with the reason while the
    first engine's rows and consoles stay live; started again, it comes back by itself."""
    lab = engines_lab
    stem = f"lwd-{uuid.uuid4().hex[:6]}"
    ticker = on_engine(
        "local",
        f"{stem}-ticker",
        ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.5; done"],
    )
    far = on_engine("second", f"{stem}-far", ["sh", "-c", "sleep 100000"])
    lab.show_containers()
    expect(item(lab, far.name, "second")).to_be_visible()
    console = lab.open_console(ticker.name)
    lab.wait_for_log(console, "tick 2")
    lab.show_containers()
    header = engine_header(lab, "second")
    try:
        second_engine.stop()
        expect(header).to_contain_text("unreachable: ", timeout=20000)
        reason = header.locator(".jp-LittleWings-engineDetail").inner_text()
        assert len(reason) > len("unreachable: ") + 3, reason
        expect(item(lab, far.name, "second")).to_have_count(0)
        # The first engine stays live: a container created now shows up, the console goes on.
        late = on_engine("local", f"{stem}-late", ["sh", "-c", "sleep 100000"])
        expect(item(lab, late.name, "local")).to_be_visible(timeout=10000)
        expect(engine_header(lab, "local")).not_to_contain_text("unreachable")
        shown = lab.log_text(console)
        last = max(int(n) for n in re.findall(r"tick (\d+)", shown))
        lab.wait_for_log(console, f"tick {last + 2}")
        expect(console.locator(".jp-LittleWings-connection")).to_contain_text("Live")
        lab.screenshot("engines-second-down")
    finally:
        if second_engine.process is None:
            second_engine.start()
    # Back by itself (nobody clicks Refresh): the container (stopped with its daemon) is listed.
    expect(header).not_to_contain_text("unreachable", timeout=30000)
    expect(item(lab, far.name, "second")).to_be_visible(timeout=30000)
    expect(item(lab, far.name, "second").locator(".jp-LittleWings-itemStatus")).to_contain_text(
        "Exited"
    )
    # …and live again: a container started on it appears.
    again = on_engine("second", f"{stem}-again", ["sh", "-c", "sleep 100000"])
    expect(item(lab, again.name, "second")).to_be_visible(timeout=10000)
    assert not lab.errors, lab.errors


def test_hundreds_of_containers_are_virtualized_in_natural_order(
    engines_lab: Any, docker_client: Any
) -> None:
    """800 containers: the DOM holds the rows in view, not 800; they are in natural order
    (-9 before -10); scrolling to the bottom shows the last; the filter finds one."""
    lab = engines_lab
    stem = f"lwv{uuid.uuid4().hex[:6]}"
    count = 800
    names = [f"{stem}-{i}" for i in range(1, count + 1)]
    made = create_many(docker_client, list(reversed(names)))
    try:
        lab.show_containers()
        box = lab.page.locator(".jp-LittleWings-filterInput")
        box.fill(stem)
        # Every one arrived (events batched per frame), and the header counts them; no Compose
        # project, so no project header.
        expect(
            lab.page.locator(f"{PANEL} .jp-LittleWings-groupRow[data-engine='local']")
        ).to_have_count(0)
        expect(engine_header(lab, "local")).to_contain_text(f"0/{count}", timeout=30000)
        rendered = lab.page.locator(f"{PANEL} .jp-LittleWings-item").count()
        assert 0 < rendered < 80, rendered
        first = shown_names(lab)
        assert first[:12] == names[:12], first[:12]

        # Scroll to the bottom: the last rows are drawn, the first are gone.
        lab.page.evaluate(
            """() => {
                const l = document.querySelector('#littlewings-containers .jp-LittleWings-list');
                l.scrollTop = l.scrollHeight;
            }"""
        )
        expect(item(lab, names[-1], "local")).to_be_visible()
        expect(item(lab, names[0], "local")).to_have_count(0)
        last = shown_names(lab)
        assert last[-1] == names[-1], last[-5:]
        assert last == sorted(last, key=lambda n: int(n.rsplit("-", 1)[1])), last
        assert lab.page.locator(f"{PANEL} .jp-LittleWings-item").count() < 80
        lab.screenshot("engines-virtualized-bottom")

        # The filter: "-79" is 79 and 790…799, in that order, from the top.
        box.fill(f"{stem}-79")
        expect(lab.page.locator(f"{PANEL} .jp-LittleWings-item")).to_have_count(11)
        assert shown_names(lab) == [f"{stem}-79"] + [f"{stem}-{i}" for i in range(790, 800)]

        # Keyboard: End goes to the last row, which is drawn and focused.
        box.fill(stem)
        expect(engine_header(lab, "local")).to_contain_text(f"0/{count}")
        box.press("ArrowDown")
        lab.page.keyboard.press("End")
        # The last row is the second engine's header (none of its containers match)…
        active = (
            "() => ({name: document.activeElement?.dataset?.name ?? null, "
            "engine: document.activeElement?.dataset?.engine ?? null})"
        )
        assert lab.page.evaluate(active) == {"name": None, "engine": "second"}
        # …and above it the last container, drawn and focused although it was far away.
        lab.page.keyboard.press("ArrowUp")
        assert lab.page.evaluate(active) == {"name": names[-1], "engine": "local"}
        lab.page.keyboard.press("Home")
        start = time.monotonic()
        for _ in range(30):
            lab.page.keyboard.press("ArrowDown")
        assert time.monotonic() - start < 15
        focused = lab.page.evaluate("() => document.activeElement?.dataset?.name ?? null")
        assert focused in names[:40], focused
        assert not lab.errors, lab.errors
    finally:
        remove_many(made)


def test_create_power_download_and_remove_on_the_second_engine(
    engines_lab: Any, docker_client: Any, second_engine: Any
) -> None:
    """The second engine's "+" creates there (not on the default engine); the row's stop
    button, the console's Download and Remove… all act on the second engine's container."""
    lab = engines_lab
    page = lab.page
    name = f"lwm-{uuid.uuid4().hex[:6]}"
    second = second_engine.client()
    try:
        lab.show_containers()
        header = engine_header(lab, "second")
        header.hover()
        header.locator(".jp-LittleWings-engineCreate").click()
        dialog = page.locator(".jp-Dialog-content")
        expect(dialog.locator(".jp-Dialog-header")).to_have_text("New container on second")
        dialog.locator("input[name=image]").fill(IMAGE)
        dialog.locator("input[name=name]").fill(name)
        dialog.locator("input[name=command]").fill("sh -c 'echo made on second; sleep 3600'")
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
        row = item(lab, name, "second")
        row.wait_for(timeout=15000)
        assert second.api.inspect_container(name)["State"]["Running"]
        assert not docker_client.containers.list(all=True, filters={"name": f"^{name}$"})

        # The console's Download asks the second engine for the logs.
        row.dblclick()
        console = lab.console(name)
        lab.wait_for_log(console, "made on second")
        with page.expect_download() as info:
            console.locator(".jp-LittleWings-download").click()
        assert "made on second" in Path(info.value.path()).read_text()

        # The row's stop button stops it there.
        lab.show_containers()
        row.hover()
        row.locator(".jp-LittleWings-action-stop").click()
        expect(row.locator(".jp-LittleWings-itemStatus")).to_contain_text("Exited", timeout=30000)
        assert not second.api.inspect_container(name)["State"]["Running"]

        row.click(button="right")
        page.locator(".lm-Menu-item", has_text="Remove Container…").click()
        confirm = page.locator(".jp-Dialog-content")
        expect(confirm.locator(".jp-Dialog-header")).to_have_text("Remove container on second")
        confirm.locator(".jp-Dialog-button.jp-mod-warn").click()
        expect(row).to_have_count(0, timeout=15000)
        assert not second.containers.list(all=True, filters={"name": f"^{name}$"})
        assert not lab.errors, lab.errors
    finally:
        for container in second.containers.list(all=True, filters={"name": f"^{name}$"}):
            container.remove(force=True)
        second.close()


def saved_in_workspace(lab: Any, key: str) -> bool:
    """Whether JupyterLab saved a widget named ``key`` in the default workspace's layout."""
    request = urllib.request.Request(
        f"{lab.server.url}lab/api/workspaces/default",
        headers={"Authorization": f"token {lab.server.token}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        data = json.loads(response.read())["data"]
    return key in data and key in str(data.get("layout-restorer:data", {}).get("main"))


def wait_saved(lab: Any, key: str, timeout: float = 15) -> None:
    """Wait until JupyterLab saved the layout with ``key`` (it does a moment after a change)."""
    deadline = time.monotonic() + timeout
    while not saved_in_workspace(lab, key):
        assert time.monotonic() < deadline, f"{key} not saved in the workspace"
        time.sleep(0.3)


def test_project_logs_of_the_second_engine_and_restore(
    engines_lab: Any, on_engine: Callable[..., Any]
) -> None:
    """A Compose project on the second engine: its header's button merges its containers'
    logs there (not a project of the same name on the default engine); after a reload the
    merged view and a console of the second engine come back on it."""
    lab = engines_lab
    page = lab.page
    project = f"lwp{uuid.uuid4().hex[:6]}"
    labels = {"com.docker.compose.project": project}
    made = []
    for engine in ("local", "second"):
        for service in ("api", "db"):
            name = f"{project}-{service}-1"
            box = on_engine(
                engine,
                name,
                ["sh", "-c", f"echo {service} says hi on {engine}; sleep 100000"],
                labels={**labels, "com.docker.compose.service": service},
            )
            made.append(box)
    for box in made:
        wait_for_docker_log(box, "says hi")
    lab.show_containers()
    header = page.locator(
        f"{PANEL} .jp-LittleWings-groupRow[data-group='{project}'][data-engine='second']"
    )
    expect(header).to_contain_text("2/2")
    header.hover()
    header.locator(".jp-LittleWings-projectLogs").click()
    merged = page.locator(
        ".jp-LittleWings-mergedConsole:visible",
        has=page.locator(".jp-LittleWings-consoleEngine", has_text="second"),
    )
    merged.locator(".xterm-rows").wait_for(timeout=15000)
    lab.wait_for_log(merged, "api says hi on second")
    lab.wait_for_log(merged, "db says hi on second")
    assert "on local" not in lab.log_text(merged)
    expect(merged.locator(".jp-LittleWings-member")).to_have_count(2)

    item(lab, f"{project}-api-1", "second").dblclick()
    console = lab.console(f"{project}-api-1")
    lab.wait_for_log(console, "api says hi on second")

    wait_saved(lab, f"littlewings-merged:second/project:{project}")
    wait_saved(lab, f"littlewings-console:second/{project}-api-1")
    lab.reload()
    tabs = page.locator("#jp-main-dock-panel .lm-TabBar-tab")
    expect(tabs.filter(has_text=f"{project} @ second")).to_have_count(1, timeout=30000)
    expect(tabs.filter(has_text=f"{project}-api-1 @ second")).to_have_count(1)
    console = lab.console(f"{project}-api-1")
    console.locator(".xterm-rows").wait_for(timeout=30000)
    expect(console.locator(".jp-LittleWings-consoleEngine")).to_have_text("second")
    lab.wait_for_log(console, "api says hi on second")
    tabs.filter(has_text=f"{project} @ second").click()
    merged.locator(".xterm-rows").wait_for(timeout=30000)
    lab.wait_for_log(merged, "db says hi on second")
    assert "on local" not in lab.log_text(merged)
    assert not lab.errors, lab.errors


SWARM_SCRIPT = 'i=0; while true; do i=$((i+1)); echo "slot $SLOT line $i"; sleep 0.3; done'
MERGED_ROW = re.compile(r"^(?P<name>\S+)\s+\| (?P<text>.*?)\s*$")


@pytest.fixture
def swarm_service(second_engine: Any) -> Iterator[Any]:
    """A replicated service of 2 tasks on the second engine (made a single-node Swarm
    manager), each task printing its slot."""
    import docker.types

    second_engine.init_swarm()
    client = second_engine.client()
    service = client.services.create(
        IMAGE,
        ["sh", "-c", SWARM_SCRIPT],
        name=f"lwsvc{uuid.uuid4().hex[:6]}",
        env=["SLOT={{.Task.Slot}}"],
        labels={TEST_LABEL: "1"},
        container_labels={TEST_LABEL: "1"},
        mode=docker.types.ServiceMode("replicated", replicas=2),
    )
    deadline = time.monotonic() + 60
    while sum(1 for t in service.tasks() if t["Status"]["State"] == "running") < 2:
        assert time.monotonic() < deadline, service.tasks()
        time.sleep(0.3)
    yield service
    with contextlib.suppress(Exception):
        service.remove()
    client.close()


def test_swarm_services_of_a_manager_and_their_merged_logs(
    swarm_service: Any, engines_lab: Any
) -> None:
    """Under an engine that is a Swarm manager, a Services group lists each service (image,
    running/desired replicas); opening one shows its tasks' logs merged, each line after the
    task that printed it; scaling it shows in the list."""
    lab = engines_lab
    page = lab.page
    name = swarm_service.name
    lab.show_containers()
    header = engine_header(lab, "second")
    expect(header).to_contain_text("swarm manager", timeout=15000)
    group = page.locator(f"{PANEL} .jp-LittleWings-servicesRow[data-engine='second']")
    expect(group).to_contain_text("Services")
    row = page.locator(f"{PANEL} .jp-LittleWings-service[data-service='{name}']")
    expect(row).to_be_visible()
    expect(row.locator(".jp-LittleWings-serviceReplicas")).to_have_text("2/2")
    expect(row.locator(".jp-LittleWings-itemImage")).to_contain_text("littlewings/busybox")
    expect(page.locator(f"{PANEL} .jp-LittleWings-service")).to_have_count(1)
    lab.screenshot("engines-swarm-services")

    row.dblclick()
    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
    expect(tab).to_contain_text(f"{name} @ second")
    console = page.locator(
        ".jp-LittleWings-mergedConsole:visible",
        has=page.locator(".jp-LittleWings-mergedName", has_text=name),
    )
    console.locator(".xterm-rows").wait_for(timeout=15000)
    expect(console.locator(".jp-LittleWings-consoleMeta")).to_contain_text("Swarm service")

    def marked() -> dict[str, set[str]]:
        """Task name -> the slots its lines say, from the rows on screen."""
        found: dict[str, set[str]] = {}
        for raw in console.locator(".xterm-rows > div").all_inner_texts():
            m = MERGED_ROW.match(raw.replace("\xa0", " "))
            slot = re.search(r"slot (\d+) line", m["text"]) if m else None
            if m and slot:
                found.setdefault(m["name"], set()).add(slot[1])
        return found

    deadline = time.monotonic() + 30
    while set(marked()) != {f"{name}.1", f"{name}.2"}:
        assert time.monotonic() < deadline, lab.log_text(console)
        time.sleep(0.3)
    # Each line is marked with the task that printed it.
    assert marked() == {f"{name}.1": {"1"}, f"{name}.2": {"2"}}, marked()
    lab.screenshot("engines-swarm-logs")

    # Scaled to 3: the list follows (its tasks' containers come with events).
    swarm_service.scale(3)
    lab.show_containers()
    expect(row.locator(".jp-LittleWings-serviceReplicas")).to_have_text("3/3", timeout=30000)
    assert not lab.errors, lab.errors

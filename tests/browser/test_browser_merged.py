"""Merged logs (several containers in one view, as `docker compose logs -f` shows them) as a user
sees them in JupyterLab, against real containers labelled the way Compose labels them."""

from __future__ import annotations

import io
import json
import re
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import (  # tests/browser/conftest.py
    SCREENSHOTS,
    LabPage,
    run_cell,
    wait_for_docker_log,
)
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

# A row of the view: the name padded, " | ", maybe Docker's timestamp, the line.
ROW = re.compile(r"^(?P<name>\S+)\s+\| (?:(?P<ts>\d{4}-\d\d-\d\dT\S+Z) )?(?P<text>.*?)\s*$")


def compose_labels(project: str, service: str, number: int) -> dict[str, str]:
    """The labels `docker compose up` puts on a service's container."""
    return {
        "com.docker.compose.project": project,
        "com.docker.compose.service": service,
        "com.docker.compose.container-number": str(number),
        "com.docker.compose.oneoff": "False",
    }


def numbered(name: str, every: float, count: int | None = None, first: str = "") -> list[str]:
    """A command printing ``<name> line <i>`` every ``every`` seconds (``count`` times, then
    sleeping), after ``first`` once per start."""
    loop = f"i=0; while [ $i -lt {count} ]; do" if count else "i=0; while true; do"
    boot = f'echo "{first}"; ' if first else ""
    return [
        "sh",
        "-c",
        f'{boot}{loop} i=$((i+1)); echo "{name} line $i"; sleep {every}; done; sleep 100000',
    ]


@pytest.fixture
def project() -> str:
    """A Compose project name of this test's own."""
    return f"lwm{uuid.uuid4().hex[:6]}"


def member(
    make_container: Callable[..., Any],
    project: str,
    service: str,
    number: int,
    **kwargs: Any,
) -> Any:
    """A container named and labelled as Compose names and labels it (``<project>-web-1``)."""
    name = f"{project}-{service}-{number}"
    command = kwargs.pop("command", None) or numbered(name, 0.5)
    return make_container(
        command, name=name, labels=compose_labels(project, service, number), **kwargs
    )


def merged(lab: Any, title: str) -> Any:
    """The merged console whose header names ``title``."""
    return lab.page.locator(
        ".jp-LittleWings-mergedConsole:visible",
        has=lab.page.locator(".jp-LittleWings-mergedName", has_text=title),
    )


def open_project_logs(lab: Any, project: str) -> Any:
    """Open a project's merged logs with the button on its group header in the sidebar."""
    lab.show_containers()
    row = lab.page.locator(f".jp-LittleWings-groupRow[data-group='{project}']")
    row.wait_for(timeout=15000)
    row.locator(".jp-LittleWings-projectLogs").click()
    console = merged(lab, project)
    console.locator(".jp-LittleWings-logView .xterm-rows").wait_for(timeout=15000)
    return console


def rows(console: Any) -> list[dict[str, str]]:
    """The container rows the view shows, top to bottom: name, timestamp (if shown), text."""
    found = []
    for raw in console.locator(".jp-LittleWings-logView .xterm-rows > div").all_inner_texts():
        m = ROW.match(raw.replace("\xa0", " "))
        if m:
            found.append({k: v or "" for k, v in m.groupdict().items()})
    return found


def screen(console: Any) -> str:
    """Everything the view shows (notices included)."""
    texts = console.locator(".jp-LittleWings-logView .xterm-rows > div").all_inner_texts()
    return "\n".join(t.replace("\xa0", " ").rstrip() for t in texts)


def numbers_of(found: list[dict[str, str]], name: str) -> list[int]:
    """The numbers of ``<name> line N`` rows of container ``name``, in order."""
    out = []
    for row in found:
        m = re.fullmatch(rf"{re.escape(name)} line (\d+)", row["text"])
        if row["name"] == name and m:
            out.append(int(m.group(1)))
    return out


def wait_for(check: Callable[[], Any], timeout: float, message: Callable[[], str]) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(message())


def wait_for_line(console: Any, name: str, number: int, timeout: float = 20) -> list:
    """Wait until the view shows ``<name> line <number>`` in ``name``'s row."""
    return wait_for(
        lambda: (found := rows(console)) and number in numbers_of(found, name) and found,
        timeout,
        lambda: f"{name} line {number} not shown; the view shows:\n{screen(console)}",
    )


def stamp(ts: str) -> tuple[str, int]:
    """A Docker RFC 3339 nano timestamp as a sortable key (Docker trims trailing zeros)."""
    head, _, frac = ts.rstrip("Z").partition(".")
    return head, int((frac or "0").ljust(9, "0")[:9])


def docker_stamps(container: Any) -> dict[str, tuple[str, int]]:
    """Each line the container wrote → Docker's timestamp of it."""
    out = {}
    for line in container.logs(timestamps=True).decode().splitlines():
        ts, _, text = line.partition(" ")
        out[text] = stamp(ts)
    return out


def prefix_colours(console: Any, names: list[str]) -> dict[str, list[str]]:
    """The colours the view draws each container's name prefix in (all distinct ones seen)."""
    return console.evaluate(
        """(node, names) => {
            const out = Object.fromEntries(names.map(n => [n, []]));
            for (const span of node.querySelectorAll('.xterm-rows span')) {
                const text = span.textContent.replace(/\\s+/g, ' ').trim();
                for (const n of names) {
                    const color = getComputedStyle(span).color;
                    if (text === n + ' |' && !out[n].includes(color)) out[n].push(color);
                }
            }
            return out;
        }""",
        names,
    )


def swatch(console: Any, name: str) -> Any:
    """A member's chip in the member list."""
    return console.locator(f".jp-LittleWings-member[data-name='{name}']")


def swatch_colour(console: Any, name: str) -> str:
    return (
        swatch(console, name)
        .locator(".jp-LittleWings-swatch")
        .evaluate("node => getComputedStyle(node).backgroundColor")
    )


def set_theme(page: Any, theme: str) -> None:
    """Switch JupyterLab's theme from the Settings menu."""
    page.click(".lm-MenuBar-itemLabel:text-is('Settings')")
    page.click(".lm-Menu-itemLabel:text-is('Theme')")
    page.click(f".lm-Menu-itemLabel:text-is('{theme}')")
    light = "true" if theme == "JupyterLab Light" else "false"
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", light, timeout=15000)
    page.wait_for_timeout(1000)


def test_lines_of_three_containers_in_time_order_with_names_and_colours(
    lab_server: Any, make_page: Callable[..., Any], make_container: Callable[..., Any], project: str
) -> None:
    """History and live lines of three containers interleaved by Docker's timestamps, each after
    its container's name in a colour of its own (the member list's swatch shows the same); hiding
    a container takes its lines away, showing it puts them back in their places; the colours
    follow the dark theme."""
    # Three services printing every 0.45 s, started one after the other: their lines interleave.
    boxes = [
        member(make_container, project, service, number, command=numbered(name, 0.45, count=14))
        for service, number, name in [
            ("web", 1, f"{project}-web-1"),
            ("web", 2, f"{project}-web-2"),
            ("db", 1, f"{project}-db-1"),
        ]
    ]
    names = [b.name for b in boxes]
    for box in boxes:
        wait_for_docker_log(box, f"{box.name} line 3\n")
    lab = make_page(lab_server, height=1500)
    console = open_project_logs(lab, project)
    expect(console.locator(".jp-LittleWings-mergedMeta")).to_contain_text("3 containers")
    expect(console.locator(".jp-LittleWings-connection")).to_contain_text("Live")
    for name in names:
        expect(swatch(console, name)).to_be_visible()
    # Live lines after the history.
    for box in boxes:
        wait_for_line(console, box.name, 8)

    console.locator(".jp-LittleWings-timestamps").click()
    found = wait_for(
        lambda: (r := rows(console)) and all(row["ts"] for row in r) and r,
        10,
        lambda: f"no timestamps shown:\n{screen(console)}",
    )
    # Each line after its own container's name…
    for row in found:
        assert row["text"].startswith(f"{row['name']} line "), row
    # …in Docker's time order, which interleaves the three containers.
    truth = {name: docker_stamps(box) for name, box in zip(names, boxes)}
    keys = [truth[row["name"]][row["text"]] for row in found]
    assert keys == sorted(keys), [r["text"] for r in found]
    assert [stamp(row["ts"]) for row in found] == keys
    switches = sum(1 for a, b in zip(found, found[1:]) if a["name"] != b["name"])
    assert switches >= 10, [r["name"] for r in found]
    for name in names:
        assert numbers_of(found, name) == list(range(1, len(numbers_of(found, name)) + 1))

    # One colour per container, the same on every row and in its swatch.
    colours = prefix_colours(console, names)
    assert all(len(c) == 1 for c in colours.values()), colours
    assert len({c[0] for c in colours.values()}) == 3, colours
    for name in names:
        assert swatch_colour(console, name) == colours[name][0]
    lab.screenshot("merged-logs")

    # Search runs over the whole view.
    db = names[2]
    search = console.locator(".jp-LittleWings-searchInput")
    count = console.locator(".jp-LittleWings-searchCount")
    search.fill(f"{db} line 7")
    expect(count).to_have_text("1 of 1")

    # Hide db-1: its lines go (and the match), the others stay in order; show it: they come
    # back in place.
    swatch(console, db).locator(".jp-LittleWings-memberToggle").uncheck()
    expect(swatch(console, db)).to_have_class(re.compile("jp-mod-hidden"))
    expect(count).to_have_text("No results")
    hidden = wait_for(
        lambda: (r := rows(console)) and db not in {row["name"] for row in r} and r,
        10,
        lambda: f"{db} still shown:\n{screen(console)}",
    )
    assert {row["name"] for row in hidden} == set(names[:2])
    keys = [stamp(row["ts"]) for row in hidden]
    assert keys == sorted(keys)
    # The hidden container's lines still come in meanwhile (into the buffer).
    for box in boxes:
        wait_for_docker_log(box, f"{box.name} line 14\n", timeout=30)
    for name in names[:2]:
        wait_for_line(console, name, 14)
    assert db not in {row["name"] for row in rows(console)}
    swatch(console, db).locator(".jp-LittleWings-memberToggle").check()
    shown = wait_for_line(console, db, 14)
    expect(count).to_have_text("1 of 1")
    truth = {name: docker_stamps(box) for name, box in zip(names, boxes)}
    # Every line of the three, once each, in time order: those written while hidden too.
    for name in names:
        assert numbers_of(shown, name) == list(range(1, 15)), (name, screen(console))
    keys = [truth[row["name"]][row["text"]] for row in shown]
    assert keys == sorted(keys)

    set_theme(lab.page, "JupyterLab Dark")
    dark = wait_for(
        lambda: (
            (c := prefix_colours(console, names))
            and all(len(v) == 1 and v[0] not in colours[k] for k, v in c.items())
            and c
        ),
        10,
        lambda: f"the colours did not follow the theme: {prefix_colours(console, names)}",
    )
    assert len({c[0] for c in dark.values()}) == 3, dark
    for name in names:
        assert swatch_colour(console, name) == dark[name][0]
    lab.screenshot("merged-logs-dark")
    set_theme(lab.page, "JupyterLab Light")
    assert not lab.errors


def test_members_restart_join_and_leave_while_watched(
    lab_server: Any, make_page: Callable[..., Any], make_container: Callable[..., Any], project: str
) -> None:
    """Opened from the group header's context menu: a member restarted goes on with its new
    lines, a container that starts with the project's label joins, a removed one is marked and
    its lines stay."""
    web = member(
        make_container,
        project,
        "web",
        1,
        command=numbered(f"{project}-web-1", 0.5, 20, first=f"{project}-web-1 line boot"),
    )
    db = member(make_container, project, "db", 1, command=numbered(f"{project}-db-1", 0.5, 20))
    # A tall page: every line of the test stays on screen (the test reads what xterm draws).
    lab = make_page(lab_server, height=2200)
    lab.show_containers()
    header = lab.page.locator(f".jp-LittleWings-groupHeader[data-group='{project}']")
    header.click(button="right")
    lab.page.locator(".lm-Menu").get_by_text("Open Project Logs").click()
    console = merged(lab, project)
    wait_for_line(console, db.name, 2)
    expect(console.locator(".jp-LittleWings-mergedMeta")).to_contain_text("2 containers")

    # Restarted: the member stays, its state follows, its new lines come.
    web.restart(timeout=0)
    wait_for(
        lambda: screen(console).count(f"{web.name} line boot") == 2,
        20,
        lambda: f"no second boot line:\n{screen(console)}",
    )
    expect(swatch(console, web.name).locator(".jp-LittleWings-state-running")).to_be_visible()
    web_rows = [r["text"] for r in rows(console) if r["name"] == web.name]
    assert web_rows.count(f"{web.name} line 1") == 2, web_rows  # it counts from 1 again

    # A new service joins the project while watched: a chip, a colour, its lines.
    worker = member(
        make_container, project, "worker", 1, command=numbered(f"{project}-worker-1", 0.3, 25)
    )
    expect(swatch(console, worker.name)).to_be_visible(timeout=15000)
    expect(console.locator(".jp-LittleWings-mergedMeta")).to_contain_text("3 containers")
    wait_for_line(console, worker.name, 2)
    colours = prefix_colours(console, [web.name, db.name, worker.name])
    assert len({c[0] for c in colours.values() if c}) == 3, colours

    # Removed: marked so, its lines stay where they are.
    before = numbers_of(rows(console), db.name)
    db.remove(force=True)
    expect(swatch(console, db.name)).to_have_class(re.compile("jp-mod-removed"), timeout=15000)
    expect(swatch(console, db.name)).to_contain_text("removed")
    wait_for_line(console, worker.name, 25)
    after = numbers_of(rows(console), db.name)
    assert after[: len(before)] == before and after, (before, after)
    expect(console.locator(".jp-LittleWings-connection")).to_contain_text("Live")
    lab.screenshot("merged-logs-members")

    # A member's console button opens that container's own console.
    swatch(console, worker.name).locator(".jp-LittleWings-memberConsole").click()
    single = lab.console(worker.name)
    lab.wait_for_log(single, f"{worker.name} line 1\n")
    assert not lab.errors


def test_reconnect_loses_and_doubles_nothing_across_members(
    lab_server: Any, make_page: Callable[..., Any], make_container: Callable[..., Any], project: str
) -> None:
    """The socket drops and stays down for a while; members keep writing and one starts meanwhile:
    after the reconnect every member's lines are there once each, those of the gap included."""
    # A tall page: every line of the test stays on screen (the test reads what xterm draws).
    lab = make_page(lab_server, height=2200)
    page = lab.page
    # Keep the page's WebSockets, to drop them as a network would and to refuse new ones a while.
    page.evaluate(
        """() => {
            const Native = window.WebSocket;
            window.__sockets = [];
            window.__refuse = false;
            window.WebSocket = class extends Native {
                constructor(...args) {
                    if (window.__refuse && String(args[0]).includes('littlewings/ws')) {
                        throw new Error('offline (test)');
                    }
                    super(...args);
                    window.__sockets.push(this);
                }
            };
        }"""
    )
    a = member(make_container, project, "a", 1, command=numbered(f"{project}-a-1", 0.3, 30))
    b = member(make_container, project, "b", 1, command=numbered(f"{project}-b-1", 0.3, 30))
    console = open_project_logs(lab, project)
    wait_for_line(console, a.name, 3)
    wait_for_line(console, b.name, 3)

    page.evaluate(
        "() => { window.__refuse = true; window.__sockets"
        ".filter(s => s.url.includes('littlewings/ws')).forEach(s => s.close()); }"
    )
    expect(console.locator(".jp-LittleWings-connection")).to_contain_text("Reconnecting")
    before = {n: max(numbers_of(rows(console), n)) for n in (a.name, b.name)}
    # A member that starts while the view is away: all its lines must come after the reconnect.
    late = member(
        make_container, project, "late", 1, command=numbered(f"{project}-late-1", 0.3, 12)
    )
    time.sleep(3)
    written = {
        box.name: len(re.findall(rf"^{box.name} line \d+$", box.logs().decode(), re.M))
        for box in (a, b)
    }
    page.evaluate("() => { window.__refuse = false; }")
    expect(console.locator(".jp-LittleWings-connection")).to_contain_text("Live", timeout=30000)
    wait_for(lambda: "reconnected" in screen(console), 15, lambda: screen(console))
    for name, last in before.items():
        assert last + 5 < written[name], (name, last, written)  # the gap held lines

    wait_for_line(console, a.name, 30)
    wait_for_line(console, b.name, 30)
    found = wait_for_line(console, late.name, 12)
    # Every line of each member once, in order: nothing missing, nothing twice.
    for box, count in ((a, 30), (b, 30), (late, 12)):
        assert numbers_of(found, box.name) == list(range(1, count + 1)), screen(console)
    shown = screen(console)
    assert "connection lost" in shown
    lab.screenshot("merged-logs-reconnected")
    assert not [e for e in lab.errors if "offline (test)" not in e]


def saved_in_workspace(lab: Any, key: str) -> bool:
    """Whether JupyterLab saved a widget named ``key`` (a tracker's) in the default workspace."""
    request = urllib.request.Request(
        f"{lab.server.url}lab/api/workspaces/default",
        headers={"Authorization": f"token {lab.server.token}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        data = json.loads(response.read())["data"]
    return key in data and key in str(data.get("layout-restorer:data", {}).get("main"))


def test_multi_selection_download_and_reload(
    lab: Any, make_container: Callable[..., Any], project: str
) -> None:
    """Containers picked in the sidebar (click, Shift-click, Ctrl-click, Shift+arrow) open in one
    view from the context menu; Download saves one merged file, Zip one file per container; a
    reload brings the view back."""
    one = member(make_container, project, "one", 1, command=numbered(f"{project}-one-1", 0.2, 6))
    two = member(make_container, project, "two", 1, command=numbered(f"{project}-two-1", 0.2, 6))
    three = member(
        make_container, project, "three", 1, command=numbered(f"{project}-three-1", 0.2, 6)
    )
    for box in (one, two, three):
        wait_for_docker_log(box, f"{box.name} line 6\n")
    page = lab.page
    lab.show_containers()
    # Sorted by name: one, three, two.
    lab.row(one.name).click()
    lab.row(two.name).click(modifiers=["Shift"])
    bar = page.locator(".jp-LittleWings-selectionBar")
    expect(bar).to_contain_text("3 selected")
    lab.row(three.name).click(modifiers=["Control"])
    expect(bar).to_contain_text("2 selected")
    for box, selected in ((one, "true"), (three, "false"), (two, "true")):
        expect(lab.row(box.name)).to_have_attribute("aria-selected", selected)
    # From the keyboard: Escape keeps one, Shift+ArrowDown adds the next row.
    lab.row(one.name).focus()
    page.keyboard.press("Escape")
    expect(bar).to_be_hidden()
    page.keyboard.press("Shift+ArrowDown")
    expect(bar).to_contain_text("2 selected")
    expect(lab.row(three.name)).to_have_attribute("aria-selected", "true")
    lab.row(three.name).click(modifiers=["Control"])
    lab.row(two.name).click(modifiers=["Control"])
    expect(bar).to_contain_text("2 selected")

    lab.row(two.name).click(button="right")
    expect(page.locator(".lm-Menu").get_by_text("Open Logs of 2 Containers")).to_be_visible()
    lab.screenshot("merged-selection")
    page.locator(".lm-Menu").get_by_text("Open Logs of 2 Containers").click()
    title = f"{one.name}, {two.name}"
    console = merged(lab, title)
    wait_for_line(console, one.name, 6)
    wait_for_line(console, two.name, 6)
    expect(console.locator(".jp-LittleWings-member")).to_have_count(2)
    assert three.name not in {r["name"] for r in rows(console)}

    with page.expect_download() as info:
        console.locator(".jp-LittleWings-download").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    for box in (one, two):
        ours = [line for line in lines if re.match(rf"^{box.name}\s+\| ", line)]
        assert [line.split("| ", 1)[1] for line in ours] == [
            f"{box.name} line {i}" for i in range(1, 7)
        ], text
    assert three.name not in text
    # One file, in Docker's time order.
    truth = {**docker_stamps(one), **docker_stamps(two)}
    keys = [truth[line.split("| ", 1)[1]] for line in lines if "| " in line]
    assert keys == sorted(keys) and len(keys) == 12, text

    with page.expect_download() as info:
        console.locator(".jp-LittleWings-downloadZip").click()
    assert info.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    assert len(files) == 2, list(files)
    for box in (one, two):
        (content,) = [c for n, c in files.items() if box.name in n]
        assert re.findall(r"line (\d+)", content) == [str(i) for i in range(1, 7)], content

    # The view comes back after a reload (the layout restorer), with its members.
    # (after JupyterLab saved the layout, as it does a moment after a change)
    key = f"littlewings-merged:containers:{one.name},{two.name}"
    wait_for(lambda: saved_in_workspace(lab, key), 15, lambda: "the layout was not saved")
    lab.reload()
    console = merged(lab, title)
    console.locator(".xterm-rows").wait_for(timeout=30000)
    wait_for_line(console, two.name, 6)
    expect(console.locator(".jp-LittleWings-member")).to_have_count(2)
    assert not lab.errors


def run_palette(lab: Any, label: str) -> Any:
    """Run a command from JupyterLab's command palette; returns the dialog it opens."""
    lab.from_palette(label)
    return lab.page.locator(".jp-Dialog")


def test_palette_opens_a_project_and_a_label(
    lab: Any, make_container: Callable[..., Any], project: str
) -> None:
    """`LittleWings: Open project logs…` asks for a project (the ones listed); `Open merged logs
    of containers…` takes names or ``label:key=value``."""
    web = member(make_container, project, "web", 1, command=numbered(f"{project}-web-1", 0.3, 5))
    lone = make_container(
        numbered("lone", 0.3, 5), labels={"lw.team": project}, name=f"{project}-lone"
    )
    lab.show_containers()
    expect(lab.row(web.name)).to_be_visible()

    dialog = run_palette(lab, "LittleWings: Open project logs…")
    expect(dialog).to_contain_text("Open the logs of a Compose project")
    dialog.locator("input").fill(project)
    dialog.locator(".jp-mod-accept").click()
    console = merged(lab, project)
    wait_for_line(console, web.name, 5)

    dialog = run_palette(lab, "LittleWings: Open merged logs of containers…")
    dialog.locator("input").fill(f"label:lw.team={project}")
    dialog.locator(".jp-mod-accept").click()
    console = merged(lab, f"lw.team={project}")
    found = wait_for(
        lambda: (r := rows(console)) and "lone line 5" in {row["text"] for row in r} and r,
        20,
        lambda: screen(console),
    )
    assert {row["name"] for row in found} == {lone.name}
    expect(console.locator(".jp-LittleWings-mergedMeta")).to_contain_text("Label · 1 container")
    assert not lab.errors


def test_merged_console_widget_in_a_notebook(
    lab_server: Any, browser: Any, make_container: Callable[..., Any], project: str
) -> None:
    """``lw.console(project=…)`` in a notebook: the merged view over the widget's comm, its
    members, their lines in time order, hide and show."""
    web = member(make_container, project, "web", 1, command=numbered(f"{project}-web-1", 0.3, 6))
    db = member(make_container, project, "db", 1, command=numbered(f"{project}-db-1", 0.3, 6))
    for box in (web, db):
        wait_for_docker_log(box, f"{box.name} line 6\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import littlewings_jupyter as lw\n"
            f'w = lw.console(project="{project}", height="560px")\nw'
        )
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, lab_server.root / f"merged-{project}.ipynb")

    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(20000)
    try:
        page = context.new_page()
        lab = LabPage(page, lab_server)
        lab.open_notebook(f"merged-{project}.ipynb")
        run_cell(page, 0)
        widget = page.locator(".jp-Notebook .jp-Cell").first.locator(
            ".jp-LittleWings-mergedConsole"
        )
        widget.locator(".xterm-rows").wait_for(timeout=60000)
        expect(widget.locator(".jp-LittleWings-mergedName")).to_have_text(project)
        expect(widget.locator(".jp-LittleWings-member")).to_have_count(2)
        # No command box, power or shell: they act on one container.
        expect(widget.locator(".jp-LittleWings-commandInput")).to_have_count(0)
        for box in (web, db):
            wait_for_line(widget, box.name, 6, timeout=30)
        found = rows(widget)
        for box in (web, db):
            assert numbers_of(found, box.name) == [1, 2, 3, 4, 5, 6]
        assert {row["name"] for row in found} == {web.name, db.name}
        truth = {**docker_stamps(web), **docker_stamps(db)}
        keys = [truth[row["text"]] for row in found]
        assert keys == sorted(keys), [r["text"] for r in found]

        swatch(widget, web.name).locator(".jp-LittleWings-memberToggle").uncheck()
        wait_for(
            lambda: (r := rows(widget)) and web.name not in {row["name"] for row in r},
            10,
            lambda: screen(widget),
        )
        swatch(widget, web.name).locator(".jp-LittleWings-memberToggle").check()
        wait_for_line(widget, web.name, 6)
        assert [r["text"] for r in rows(widget)] == [r["text"] for r in found]
        expect(widget.locator(".jp-LittleWings-connection")).to_contain_text("Live")
        widget.screenshot(path=str(SCREENSHOTS / "merged-widget.png"))
        assert not lab.errors, lab.errors
    finally:
        context.close()


def test_a_member_whose_history_begins_later_is_marked_where_it_does(
    lab: Any, make_container: Callable[..., Any], project: str
) -> None:
    """Each member's history is its own tail: the one that started later begins further down,
    and the view says where ("its history begins here"); the first member needs no mark."""
    early = member(make_container, project, "app", 1, command=numbered(f"{project}-app-1", 0.2))
    wait_for_docker_log(early, f"{project}-app-1 line 5")
    late = member(make_container, project, "db", 1, command=numbered(f"{project}-db-1", 0.2, 3))
    wait_for_docker_log(late, f"{project}-db-1 line 3")
    console = open_project_logs(lab, project)
    mark = f"┄┄ {late.name}: its history begins here ┄┄"
    expect(console.locator(".jp-LittleWings-logView .xterm-rows")).to_contain_text(
        f"{late.name} line 3", timeout=20000
    )
    shown = screen(console).splitlines()
    assert shown.count(mark) == 1, shown
    at = shown.index(mark)
    before, after = shown[:at], shown[at + 1 :]
    assert any(f"{early.name} line 1" in row for row in before), shown
    assert not any(late.name in row for row in before), shown
    assert f"{late.name} line 1" in next(row for row in after if late.name in row), shown
    assert f"{early.name}: its history begins here" not in "\n".join(shown)


def test_project_actions_on_the_project_header(
    lab: Any, make_container: Callable[..., Any], docker_client: Any, project: str
) -> None:
    """A Compose project's header has Start/Stop/Restart All, as `docker compose` has: each
    acts on every container of the project it applies to (and says how many)."""
    web = member(make_container, project, "web", 1)
    worker = member(make_container, project, "worker", 1)
    idle = member(make_container, project, "idle", 1, start=False)
    lab.show_containers()
    header = lab.page.locator(f".jp-LittleWings-groupRow[data-group='{project}']")
    header.wait_for(timeout=15000)

    def state(container: Any) -> str:
        return docker_client.api.inspect_container(container.id)["State"]["Status"]

    def until(check: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 30
        while not check():
            assert time.monotonic() < deadline, what
            time.sleep(0.2)

    def menu(label: str) -> Any:
        header.locator(".jp-LittleWings-groupHeader").click(button="right")
        item = lab.page.get_by_role("menuitem", name=label, exact=True)
        expect(item).to_be_visible()
        return item

    menu("Stop All (2)").click()
    until(lambda: state(web) == "exited" and state(worker) == "exited", "both stopped")
    assert state(idle) == "created"
    expect(header.locator(".jp-LittleWings-groupCount")).to_have_text("0/3", timeout=15000)
    menu("Start All (3)").click()
    until(lambda: all(state(c) == "running" for c in (web, worker, idle)), "all three running")
    expect(header.locator(".jp-LittleWings-groupCount")).to_have_text("3/3", timeout=15000)
    started = {
        c.name: docker_client.api.inspect_container(c.id)["State"]["StartedAt"]
        for c in (web, worker, idle)
    }
    menu("Restart All (3)").click()
    until(
        lambda: all(
            docker_client.api.inspect_container(c.id)["State"]["StartedAt"] != started[c.name]
            for c in (web, worker, idle)
        ),
        "all three restarted",
    )
    assert not lab.errors

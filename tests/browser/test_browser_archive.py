"""A removed container's logs stay viewable and searchable from the sidebar (the archive)."""

from __future__ import annotations

import time
from typing import Any, Callable

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]


def archived(lab: Any, container_id: str) -> dict[str, Any] | None:
    """The archive's entry of a container, if it has one."""
    answer = lab.server.api("archive")
    return next((c for c in answer["containers"] if c["id"] == container_id), None)


def test_removed_container_logs_from_the_sidebar(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """Archived, removed, then listed under "Removed containers", opened and searched."""
    # The sidebar's WebSocket session starts archiving labelled containers.
    lab.show_containers()
    expect(lab.page.locator(".jp-LittleWings-liveBadge")).to_contain_text("Live", timeout=20000)
    box = make_container(
        [
            "sh",
            "-c",
            'for i in $(seq 1 40); do echo "archived line $i"; done; '
            "echo 'error: a rare kiwifruit went missing' >&2; "
            "echo 'archived line end'; sleep 100000",
        ],
        labels={"littlewings.archive": "true"},
    )
    expect(lab.row(box.name)).to_be_visible(timeout=10000)

    deadline = time.monotonic() + 30
    entry = None
    while time.monotonic() < deadline:
        entry = archived(lab, box.id)
        if entry and entry["lines"] >= 42:
            break
        time.sleep(0.3)
    assert entry and entry["lines"] >= 42, f"not archived: {entry}\n{lab.server.tail_log()}"

    box.remove(force=True)
    expect(lab.row(box.name)).to_have_count(0, timeout=10000)

    group = lab.page.locator("#littlewings-containers .jp-LittleWings-archiveGroup")
    expect(group).to_be_visible(timeout=15000)
    expect(group.locator(".jp-LittleWings-archiveHeader")).to_contain_text("Removed containers")
    item = group.locator(f".jp-LittleWings-archiveItem[data-name='{box.name}']")
    expect(item).to_be_visible()
    expect(item).to_contain_text("littlewings/busybox")
    expect(item).to_contain_text("42 lines")
    expect(item).to_contain_text("Removed just now")

    # Collapsing hides the rows; expanding brings them back.
    group.locator(".jp-LittleWings-archiveHeader").click()
    expect(item).to_have_count(0)
    group.locator(".jp-LittleWings-archiveHeader").click()
    expect(item).to_be_visible()

    item.click()
    view = lab.page.locator(".jp-LittleWings-archivedLogs:visible")
    expect(view).to_have_attribute("data-loaded", "true", timeout=15000)
    expect(view.locator(".jp-LittleWings-archivedStatus")).to_contain_text("42 lines")
    lab.wait_for_log(view, "archived line end")
    tab = lab.page.locator(".lm-TabBar-tab", has_text=f"{box.name} (archived)")
    expect(tab).to_be_visible()

    view.locator(".jp-LittleWings-archivedQuery").fill("kiwifruit")
    view.locator(".jp-LittleWings-archivedQuery").press("Enter")
    match = view.locator(".jp-LittleWings-archivedMatch")
    expect(match).to_have_count(1, timeout=15000)
    expect(match).to_contain_text("a rare kiwifruit went missing")
    expect(view.locator(".jp-LittleWings-archivedNote")).to_contain_text("1 match")
    match.click()
    expect(match).to_have_class("jp-LittleWings-archivedMatch jp-mod-stderr jp-mod-active")
    # The line is selected in the view (xterm draws its selection as boxes).
    expect(view.locator(".xterm-selection div").first).to_be_attached(timeout=5000)

    # A regex search finds many; opening it again activates the same tab.
    view.locator(".jp-LittleWings-archivedSearch input[type=checkbox]").check()
    view.locator(".jp-LittleWings-archivedQuery").fill(r"line \d+$")
    view.locator(".jp-LittleWings-archivedQuery").press("Enter")
    expect(view.locator(".jp-LittleWings-archivedMatch")).to_have_count(40, timeout=15000)
    item.click()
    expect(lab.page.locator(".jp-LittleWings-archivedLogs")).to_have_count(1)

    view.locator(".jp-LittleWings-archivedMatch").nth(2).click()
    lab.screenshot("archive")
    assert not lab.errors

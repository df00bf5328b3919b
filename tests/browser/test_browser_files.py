"""A container's files in JupyterLab's own file browser and editor (a drive per container)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]


def run(container: Any, command: str) -> str:
    return container.exec_run(["sh", "-c", command]).output.decode()


def browse_files(lab: Any, box: Any) -> Any:
    """Browse Files from the container's row; the browser's listing, once it shows /."""
    lab.show_containers()
    row = lab.row(box.name)
    row.wait_for(timeout=15000)
    row.click(button="right")
    lab.page.locator(".lm-Menu-item", has_text="Browse Files").click()
    browser = lab.page.locator(".jp-FileBrowser.jp-LittleWings-files")
    expect(browser).to_be_visible(timeout=15000)
    listing = browser.locator(".jp-DirListing-content")
    expect(listing.locator(".jp-DirListing-itemText", has_text="etc")).to_be_visible()
    return listing


def test_browse_edit_upload_download(
    lab: Any, make_container: Callable[..., Any], tmp_path: Path
) -> None:
    """Browse files, open /etc/hostname in the editor, save it (docker exec cat sees it), a
    file changed underneath is not overwritten, upload and download, a 50 MB file refused."""
    box = make_container(["sh", "-c", "mkdir -p /data; echo hello > /data/a.txt; sleep 100000"])
    run(box, "true")
    page = lab.page
    listing = browse_files(lab, box)
    browser = page.locator(".jp-FileBrowser.jp-LittleWings-files")
    lab.screenshot("files-browser")

    # Open /etc/hostname in JupyterLab's editor, edit, save.
    listing.locator(".jp-DirListing-itemText", has_text="etc").dblclick()
    entry = listing.locator(".jp-DirListing-itemText", has_text="hostname")
    expect(entry.first).to_be_visible(timeout=10000)
    listing.locator(".jp-DirListing-item", has_text="hostname").first.dblclick()
    editor = page.locator(".jp-FileEditor:visible .cm-content")
    expect(editor).to_contain_text(run(box, "cat /etc/hostname").strip(), timeout=15000)
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("edited-in-jupyterlab")
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 10
    while run(box, "cat /etc/hostname").strip() != "edited-in-jupyterlab":
        assert time.monotonic() < deadline, run(box, "cat /etc/hostname")
        time.sleep(0.2)
    lab.screenshot("files-editor")

    # Changed underneath: JupyterLab asks before overwriting; cancelling keeps the container's.
    time.sleep(1.1)
    run(box, "echo changed-in-the-container > /etc/hostname")
    editor.click()
    page.keyboard.type("-again")
    page.keyboard.press("Control+s")
    dialog = page.locator(".jp-Dialog-content")
    expect(dialog).to_contain_text("changed", timeout=10000)
    dialog.locator(".jp-Dialog-button", has_text="Cancel").click()
    assert run(box, "cat /etc/hostname") == "changed-in-the-container\n"

    # Upload into /data, download it back.
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=f"{box.name}:/").click()
    browser.locator(".jp-BreadCrumbs-home").click()
    listing.locator(".jp-DirListing-itemText", has_text="data").dblclick()
    expect(listing.locator(".jp-DirListing-itemText", has_text="a.txt")).to_be_visible()
    upload = tmp_path / "notes.txt"
    upload.write_text("uploaded from the browser\n")
    with page.expect_file_chooser() as chooser:
        browser.locator(".jp-Toolbar-item[data-jp-item-name='upload'] button").click()
    chooser.value.set_files(str(upload))
    expect(listing.locator(".jp-DirListing-itemText", has_text="notes.txt")).to_be_visible(
        timeout=15000
    )
    assert run(box, "cat /data/notes.txt") == "uploaded from the browser\n"
    listing.locator(".jp-DirListing-item", has_text="a.txt").click(button="right")
    with page.expect_download() as download:
        page.locator(".lm-Menu-item[data-command='filebrowser:download']").click()
    saved = tmp_path / "a-downloaded.txt"
    download.value.save_as(str(saved))
    assert saved.read_text() == "hello\n"

    # 50 MB: refused with a clear message, nothing written.
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (50 * 1024 * 1024))
    with page.expect_file_chooser() as chooser:
        browser.locator(".jp-Toolbar-item[data-jp-item-name='upload'] button").click()
    chooser.value.set_files(str(big))
    warning = page.locator(".jp-Dialog-content")
    expect(warning).to_be_visible(timeout=10000)
    if "Large file" in warning.inner_text() or "large" in warning.inner_text().lower():
        warning.locator(".jp-Dialog-button.jp-mod-accept").click()
    problem = page.locator(".jp-Dialog-content, .jp-toast-container")
    expect(problem.first).to_contain_text("max_file_size", timeout=60000)
    lab.screenshot("files-too-large")
    assert "big.bin" not in run(box, "ls /data")


def test_a_launcher_notebook_goes_to_the_servers_root(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """Browse Files on a container, open a file, close every tab: the Launcher's Notebook
    makes its notebook in the server's root, never a file in the container (its kernel runs on
    the server)."""
    box = make_container(["sh", "-c", "sleep 100000"])
    page = lab.page
    listing = browse_files(lab, box)
    listing.locator(".jp-DirListing-itemText", has_text="etc").dblclick()
    listing.locator(".jp-DirListing-item", has_text="hostname").first.dblclick()
    expect(page.locator(".jp-FileEditor:visible")).to_be_visible(timeout=15000)
    before = set(lab.server.root.iterdir())

    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu-itemLabel", has_text="Close All Tabs").click()
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu-itemLabel", has_text="New Launcher").click()
    card = page.locator(".jp-LauncherCard[data-category='Notebook']:visible").first
    expect(card).to_be_visible(timeout=15000)
    card.click()
    expect(page.locator(".jp-NotebookPanel:visible")).to_be_visible(timeout=20000)
    deadline = time.monotonic() + 15
    while not [p for p in lab.server.root.iterdir() if p not in before]:
        assert time.monotonic() < deadline, "no notebook in the server's root"
        time.sleep(0.2)
    made = [p.name for p in lab.server.root.iterdir() if p not in before]
    assert any(name.endswith(".ipynb") for name in made), made
    inside = run(box, "find / -xdev -name 'untitled*' -o -xdev -name 'Untitled*' 2>/dev/null")
    assert inside.strip() == "", inside
    assert not lab.errors, lab.errors


def test_a_console_of_a_missing_container_disables_commands(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """A console of a container that is not there (as one restored after a reload for a
    container removed meanwhile) says so, with its command box and shell button disabled."""
    box = make_container(["sh", "-c", "sleep 100000"])
    page = lab.page
    missing = f"{box.name}-gone"
    lab.from_palette("LittleWings: Open console…")
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill(missing)
    dialog.locator(".jp-mod-accept").click()
    console = page.locator(".jp-LittleWings-console:visible")
    expect(console.locator(".jp-LittleWings-overlay")).to_contain_text(
        "No container", timeout=30000
    )
    command = console.locator(".jp-LittleWings-commandInput")
    expect(command).to_be_disabled()
    expect(command).to_have_attribute("placeholder", re.compile("no container"))
    expect(console.locator(".jp-LittleWings-newShell")).to_be_disabled()


def test_an_editor_tab_names_the_container(lab: Any, make_container: Callable[..., Any]) -> None:
    """The tab of a container's file says which container (`motd — web-1`), and the file keeps
    its name (a tab label changed to that made JupyterLab rename the file in the container)."""
    box = make_container(["sh", "-c", "echo welcome > /etc/motd; sleep 100000"])
    run(box, "true")
    listing = browse_files(lab, box)
    listing.locator(".jp-DirListing-itemText", has_text="etc").dblclick()
    listing.locator(".jp-DirListing-item", has_text="motd").first.dblclick()
    editor = lab.page.locator(".jp-FileEditor:visible .cm-content")
    expect(editor).to_contain_text("welcome", timeout=15000)
    tab = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="motd")
    expect(tab).to_have_attribute("data-littlewings-container", box.name)
    shown = tab.evaluate(
        "tab => [tab.querySelector('.lm-TabBar-tabLabel').textContent,"
        " getComputedStyle(tab, '::after').content]"
    )
    assert shown == ["motd", f'" — {box.name}"'], shown
    lab.screenshot("editor-tab")
    time.sleep(1.0)  # (a rename would have been asked for by now)
    assert run(box, "cat /etc/motd") == "welcome\n"
    assert not lab.errors


def test_a_reload_brings_a_container_file_back_without_404s(
    lab: Any, make_container: Callable[..., Any]
) -> None:
    """A container's file open in the editor comes back after a page reload, read from its
    container: no request for it goes to the server's own files (a 404 before the drive was
    registered again at start)."""
    box = make_container(["sh", "-c", "echo welcome-back > /etc/motd; sleep 100000"])
    run(box, "true")
    page = lab.page
    listing = browse_files(lab, box)
    listing.locator(".jp-DirListing-itemText", has_text="etc").dblclick()
    listing.locator(".jp-DirListing-item", has_text="motd").first.dblclick()
    editor = page.locator(".jp-FileEditor:visible .cm-content")
    expect(editor).to_contain_text("welcome-back", timeout=15000)
    time.sleep(1.5)  # (JupyterLab saves its layout a moment after it changes)

    missing: list[str] = []
    page.on(
        "response",
        lambda response: missing.append(response.url) if response.status == 404 else None,
    )
    lab.reload()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="motd")
    expect(tab).to_have_attribute("data-littlewings-container", box.name, timeout=30000)
    tab.click()
    expect(page.locator(".jp-FileEditor:visible .cm-content")).to_contain_text(
        "welcome-back", timeout=15000
    )
    assert not [url for url in missing if "motd" in url or box.name in url], missing

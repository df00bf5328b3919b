"""Real software in the console: nginx and a Python program from a Debian image (built by
scripts/debian-image.sh), as a user's services log: everything on stderr, levels in the text,
JSON records with tracebacks. Lines are coloured by their level and keep a stderr tint; a
traceback stays with its record and folds."""

from __future__ import annotations

import re
import time
from typing import Any, Callable

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]

# nginx as the nginx image runs it (the image's nginx.conf logs notices and worse to stderr).
NGINX = ["nginx", "-g", "daemon off;"]

# A service that logs JSON with its traceback in a field, then text lines through Python's
# logging (a traceback of its own), all on stderr, then waits.
APP = r"""
import json, logging, sys, time, traceback
def pay(count):
    return 100 / count
try:
    pay(0)
except ZeroDivisionError:
    exc = traceback.format_exc()
print(json.dumps({"level": "error", "msg": "payment failed", "order": 17, "exc": exc}),
      file=sys.stderr, flush=True)
logging.basicConfig(format="%(levelname)s:%(name)s:%(message)s", level=logging.INFO)
log = logging.getLogger("shop")
log.info("shop ready on port 8000")
try:
    pay(0)
except ZeroDivisionError:
    log.exception("request failed")
log.info("app: done")
time.sleep(100000)
"""

# Each row of the log view with the colours xterm drew its text in: for each row, its text, the
# text colour of its non-blank cells (computed CSS) and the row's background where it has one.
ROW_COLOURS = """
(view) => [...view.querySelectorAll('.xterm-rows > div')].map(row => {
  const spans = [...row.querySelectorAll('span')].filter(s => s.textContent.trim());
  return {
    text: row.textContent.replace(/\\u00a0/g, ' ').trimEnd(),
    colours: spans.map(s => getComputedStyle(s).color),
    backgrounds: [...row.querySelectorAll('span')].map(s => getComputedStyle(s).backgroundColor)
  };
})
"""


def rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in re.findall(r"\d+", css)[:3])
    return r, g, b


def is_red(css: str) -> bool:
    r, g, b = rgb(css)
    return r > 120 and r > g + 60 and r > b + 60


def is_tinted(css: str) -> bool:
    """A faint red over the light theme's white: red above green and blue, all of them light."""
    if "rgba(0, 0, 0, 0)" in css or css == "transparent":
        return False
    r, g, b = rgb(css)
    return r > 200 and r > g + 5 and r > b + 5


def rows_with(console: Any, pattern: str) -> list[dict[str, Any]]:
    view = console.locator(".jp-LittleWings-logView")
    rows = view.evaluate(ROW_COLOURS)
    return [row for row in rows if re.search(pattern, row["text"])]


def wait_for_row(console: Any, pattern: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = rows_with(console, pattern)
        if found:
            return found[0]
        time.sleep(0.2)
    view = console.locator(".jp-LittleWings-logView")
    shown = "\n".join(row["text"] for row in view.evaluate(ROW_COLOURS))
    raise AssertionError(f"no row matches {pattern!r} within {timeout} s:\n{shown}")


def click_link(page: Any, console: Any, span: Any) -> None:
    """Click a link of the log view as a user does: xterm's screen takes the pointer, looks for
    a link under it when it comes onto a new cell (the pointer becomes a hand), and activates it
    on a click. The pointer comes from elsewhere each try (xterm looks again only on a new cell)."""
    box = span.bounding_box()
    assert box, span
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    screen = console.locator(".jp-LittleWings-logView .xterm-screen")
    pointer = console.locator(".jp-LittleWings-logView .xterm-screen.xterm-cursor-pointer")
    deadline = time.monotonic() + 15
    while True:
        page.mouse.move(x, y + 40)
        page.mouse.move(x, y)
        try:
            expect(pointer).to_have_count(1, timeout=1000)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no link under the pointer at {x}, {y}: {screen.inner_html()[:2000]}"
                ) from None
    page.mouse.click(x, y)


def test_nginx_lines_are_coloured_by_level_with_a_stderr_tint(
    lab: Any, make_container: Callable[..., Any], debian_image: str
) -> None:
    """nginx logs everything to stderr: its notices are not red (they were, every line), its
    [error] line is; every stderr row keeps a faint tint, an access line on stdout has none."""
    web = make_container(NGINX, image=debian_image)
    console = lab.open_console(web.name)
    notice = wait_for_row(console, r"\[notice\] \d+#\d+: start worker process")
    # A request for a folder without an index: nginx logs an [error] and answers 403.
    web.exec_run(["rm", "/var/www/html/index.nginx-debian.html"])
    fetch = (
        "import urllib.request as u\n"
        "try: u.urlopen('http://127.0.0.1/')\n"
        "except Exception as e: print(e)"
    )
    assert "403" in web.exec_run(["python3", "-c", fetch]).output.decode()
    error = wait_for_row(console, r"\[error\] .*directory index of .* is forbidden")
    access = wait_for_row(console, r'"GET / HTTP/1\.1" 403')

    assert not any(is_red(c) for c in notice["colours"]), notice
    message = error["text"].split("forbidden")[0]
    assert message and any(is_red(c) for c in error["colours"]), error
    assert any(is_tinted(b) for b in notice["backgrounds"]), notice
    assert any(is_tinted(b) for b in error["backgrounds"]), error
    assert not any(is_tinted(b) for b in access["backgrounds"]), access
    assert not any(is_red(c) for c in access["colours"]), access
    lab.screenshot("real-software-nginx")


def test_a_traceback_stays_with_its_record_and_folds(
    lab: Any, make_container: Callable[..., Any], debian_image: str
) -> None:
    """A JSON record's traceback field is drawn under it, one row a line (it was one escaped
    line); its mark folds it to a count and unfolds it. A text traceback from Python's logging is
    red with the ERROR line it belongs to, the INFO lines around it are not."""
    app = make_container(["python3", "-u", "-c", APP], image=debian_image)
    console = lab.open_console(app.name)
    lab.wait_for_log(console, "app: done", timeout=30)

    head = wait_for_row(console, r"^ERROR payment failed order=17 ▾ exc$")
    assert any(is_red(c) for c in head["colours"]), head
    text = lab.log_text(console)
    assert "\\n" not in text, text
    assert re.search(r"^  exc:$", text, re.M), text
    assert re.search(r"^    Traceback \(most recent call last\):$", text, re.M), text
    assert re.search(r"^      File .*, in pay$", text, re.M), text
    assert re.search(r"^    ZeroDivisionError: division by zero$", text, re.M), text

    # The text traceback: its frames and the exception line take the ERROR line's red.
    for pattern in (
        r"^ERROR:shop:request failed",
        r"^Traceback \(most recent",
        r"^  File \"<string>\", line \d+, in pay",
        r"^ZeroDivisionError: division by zero",
    ):
        row = wait_for_row(console, pattern)
        assert any(is_red(c) for c in row["colours"]), row
    info = wait_for_row(console, r"^INFO:shop:shop ready")
    assert not any(is_red(c) for c in info["colours"]), info
    lab.screenshot("real-software-traceback")

    # Fold: click the mark (an xterm link) at the end of the head row.
    mark = console.locator(
        ".jp-LittleWings-logView .xterm-rows > div", has_text="payment failed"
    ).locator("span", has_text="▾ exc")
    click_link(lab.page, console, mark.last)
    expect(console.locator(".jp-LittleWings-logView .xterm-rows")).to_contain_text(
        "▸ exc: 4 more lines", timeout=10000
    )
    # (The view is drawn again: what is on it once the last line is back.)
    wait_for_row(console, r"^INFO:shop:app: done")
    text = lab.log_text(console)
    assert not re.search(r"^  exc:$", text, re.M), text
    assert "ERROR:shop:request failed" in text, text
    folded = console.locator(".jp-LittleWings-logView .xterm-rows > div span", has_text="▸ exc")
    click_link(lab.page, console, folded.last)
    wait_for_row(console, r"^    ZeroDivisionError: division by zero$")
    wait_for_row(console, r"^INFO:shop:app: done")
    assert "more lines" not in lab.log_text(console)

    # The text traceback folds the same way, from the mark on its first line.
    mark = console.locator(
        ".jp-LittleWings-logView .xterm-rows > div",
        has_text="Traceback (most recent call last): ▾ fold",
    ).locator("span", has_text="▾ fold")
    click_link(lab.page, console, mark.last)
    wait_for_row(console, r"^  ▸ 4 more lines$")
    wait_for_row(console, r"^INFO:shop:app: done")
    text = lab.log_text(console)
    assert re.search(
        r"^ERROR:shop:request failed\n  ▸ 4 more lines\nINFO:shop:app: done$", text, re.M
    ), text
    folded = console.locator(
        ".jp-LittleWings-logView .xterm-rows > div span", has_text="▸ 4 more lines"
    )
    click_link(lab.page, console, folded.last)
    wait_for_row(console, r"^Traceback \(most recent call last\): ▾ fold$")
    wait_for_row(console, r"^INFO:shop:app: done")
    assert re.search(r'^  File "<string>", line \d+, in pay$', lab.log_text(console), re.M)


def set_theme(page: Any, theme: str) -> None:
    """Switch JupyterLab's theme from the Settings menu."""
    page.click(".lm-MenuBar-itemLabel:text-is('Settings')")
    page.click(".lm-Menu-itemLabel:text-is('Theme')")
    page.click(f".lm-Menu-itemLabel:text-is('{theme}')")
    light = "true" if theme == "JupyterLab Light" else "false"
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", light, timeout=15000)


def test_level_colours_and_the_stderr_tint_in_the_dark_theme(
    lab: Any, make_container: Callable[..., Any], debian_image: str
) -> None:
    """Under JupyterLab Dark the stderr tint is a dark red (not the light theme's pink over a
    dark page), the notices' text is light and an error's red is readable on it."""
    web = make_container(NGINX, image=debian_image)
    console = lab.open_console(web.name)
    wait_for_row(console, r"\[notice\] \d+#\d+: start worker process")
    web.exec_run(["rm", "/var/www/html/index.nginx-debian.html"])
    web.exec_run(
        [
            "python3",
            "-c",
            "import urllib.request as u\n"
            "try: u.urlopen('http://127.0.0.1/')\n"
            "except Exception: pass",
        ]
    )
    wait_for_row(console, r"\[error\] .*is forbidden")
    page = lab.page
    set_theme(page, "JupyterLab Dark")
    try:

        def luminance(css: str) -> float:
            r, g, b = rgb(css)
            return (0.299 * r + 0.587 * g + 0.114 * b) / 255

        deadline = time.monotonic() + 15
        while True:
            notice = wait_for_row(console, r"\[notice\] \d+#\d+: start worker process")
            tints = [b for b in notice["backgrounds"] if "rgba(0, 0, 0, 0)" not in b]
            if tints and luminance(tints[0]) < 0.3:
                break
            assert time.monotonic() < deadline, notice
            time.sleep(0.3)
        r, g, b = rgb(tints[0])
        assert r > g and r > b, tints  # still a red tint
        assert any(luminance(c) > 0.6 for c in notice["colours"]), notice  # light text on it
        error = wait_for_row(console, r"\[error\] .*is forbidden")
        assert any(is_red(c) for c in error["colours"]), error
        lab.screenshot("real-software-nginx-dark")
    finally:
        set_theme(page, "JupyterLab Light")

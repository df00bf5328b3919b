"""Merged logs from notebook cells: ``lw.project(...)``, ``lw.group(...)``, the merged widget."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import Any

import pytest

import littlewings_jupyter as lw

pytestmark = [pytest.mark.docker, pytest.mark.both_engines]

TICK = 'i=0; while true; do i=$((i+1)); echo "{tag} $i"; sleep 0.1; done'


def service(make_container: Any, project: str, name: str, script: str, number: int = 1) -> Any:
    return make_container(
        script,
        name=f"{project}-{name}-{number}",
        labels={
            "com.docker.compose.project": project,
            "com.docker.compose.service": name,
            "com.docker.compose.container-number": str(number),
        },
    )


@pytest.fixture
def project() -> str:
    return f"lwapi{uuid.uuid4().hex[:6]}"


def tap_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("littlewings")]


def test_project_logs_and_lines(make_container, project):
    for offset, name in enumerate(("api", "db")):
        service(
            make_container,
            project,
            name,
            f"sleep {offset * 0.15}; for i in 1 2 3; do echo {name} $i; sleep 0.3; done; "
            f"echo {name} bad >&2; sleep 3600",
        )
    time.sleep(1.6)
    shop = lw.project(project)
    assert shop.kind == "project" and shop.name == project
    assert shop.containers.names == [f"{project}-api-1", f"{project}-db-1"]
    lines = shop.log_lines()
    assert len(lines) == 8
    assert [line.cursor.timestamp for line in lines] == sorted(ln.cursor.timestamp for ln in lines)
    assert {line.container for line in lines} == {f"{project}-api-1", f"{project}-db-1"}
    assert [ln.text for ln in lines if ln.container == f"{project}-api-1"] == [
        "api 1",
        "api 2",
        "api 3",
        "api bad",
    ]
    assert f"{project}-db-1" in repr(lines[-1]) or f"{project}-api-1" in repr(lines[-1])
    errors = shop.log_lines(stream="stderr", tail=1)
    assert sorted(ln.text for ln in errors) == ["api bad", "db bad"]
    text = shop.logs(tail=2)
    assert len(text.splitlines()) == 4
    assert all(
        re.fullmatch(rf"{project}-(api|db)-1 +\| (api|db) (3|bad)", ln) for ln in text.splitlines()
    )
    since = lines[3]
    assert shop.log_lines(since=since) == lines[4:]
    assert "<b>project</b>" in shop._repr_html_()


def test_group_by_label_and_by_list(make_container):
    tag = uuid.uuid4().hex[:6]
    a = make_container(f"echo a-{tag}; sleep 3600", labels={"team": tag})
    b = make_container(f"echo b-{tag}; sleep 3600")
    time.sleep(0.5)
    by_label = lw.group(label=f"team={tag}")
    assert by_label.containers.names == [a.name]
    listed = lw.group(containers=[a.name, lw.container(b.name)])
    assert sorted(ln.text for ln in listed.log_lines()) == [f"a-{tag}", f"b-{tag}"]
    with pytest.raises(ValueError, match="Name a group"):
        lw.group()
    with pytest.raises(TypeError, match="not one string"):
        lw.group(containers="web")
    with pytest.raises(lw.InvalidMessage, match="'label' must be"):
        lw.group(label="=nope")


def test_follow_picks_up_new_members_and_ends_cleanly(make_container, project):
    first = service(make_container, project, "web", TICK.format(tag="web"))
    time.sleep(0.5)
    seen: list[lw.Line] = []
    started = time.monotonic()
    with lw.project(project).follow(tail=2, timeout=8) as follow:
        for line in follow:
            seen.append(line)
            if len(seen) == 3:
                service(make_container, project, "worker", 'echo "worker up"; sleep 3600')
            if any(ln.text == "worker up" for ln in seen) and len(seen) > 10:
                break
    assert time.monotonic() - started < 8
    assert follow.reason == "closed"
    assert seen[0].container == first.name and seen[0].text.startswith("web ")
    assert any(ln.container == f"{project}-worker-1" and ln.text == "worker up" for ln in seen)
    web = [int(ln.text.split()[1]) for ln in seen if ln.container == first.name]
    assert web == list(range(web[0], web[-1] + 1))
    deadline = time.monotonic() + 5
    while any(t.startswith("littlewings-kernel") for t in tap_threads()):
        assert time.monotonic() < deadline, tap_threads()
        time.sleep(0.05)


def test_follow_timeout_and_stream_filter(make_container, project):
    service(make_container, project, "a", "while true; do echo out; echo err >&2; sleep 0.1; done")
    lines = list(lw.project(project).follow(timeout=1.5, stream="stderr"))
    assert (
        lines and {ln.text for ln in lines} == {"err"} and {ln.stream for ln in lines} == {"stderr"}
    )


def test_merged_widget_in_the_kernel(make_container, project):
    pytest.importorskip("anywidget")
    service(make_container, project, "a", TICK.format(tag="a"))
    service(make_container, project, "b", TICK.format(tag="b"))
    w = lw.console(project=project, tail=5)
    frames: list[tuple[str, dict[str, Any]]] = []
    w._send_to_view = lambda view, text: frames.append((view, json.loads(text)))  # type: ignore[method-assign]
    try:
        assert w.group == {"project": project} and w.container == project
        deadline = time.monotonic() + 10
        while {ln.container for ln in w.lines} != {f"{project}-a-1", f"{project}-b-1"}:
            assert time.monotonic() < deadline, w.lines[-5:]
            time.sleep(0.05)
        with pytest.raises(lw.LittleWingsError, match="merged logs of several containers"):
            w.run("ls")
        # A view's session is a merged WebSocket view in all but transport.
        w._on_custom(w, {"view": "v1", "frame": json.dumps({"type": "open"})}, [])
        w._on_custom(
            w, {"view": "v1", "frame": json.dumps({"type": "connect", **w.group, "tail": 3})}, []
        )
        deadline = time.monotonic() + 10
        while not any(f["type"] == "history_end" for _, f in frames):
            assert time.monotonic() < deadline, frames[-5:]
            time.sleep(0.05)
        connected = next(f for _, f in frames if f["type"] == "connected")
        assert connected["group"] == {"kind": "project", "name": project}
        assert all(f["container"] for _, f in frames if f["type"] == "log")
        assert "merged" in repr(w)
    finally:
        w.close()
    with pytest.raises(ValueError, match="not both"):
        lw.console("x", project=project)

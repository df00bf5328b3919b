"""Alerts (real Docker): a death with its exit code and last lines, OOM, unhealthy, a log line
matching a pattern, rules by name and by label, the cooldown of a restart loop."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.both_engines]


async def set_rules(client: Any, rules: list[dict[str, Any]], cooldown: float = 60) -> None:
    reply = await client.request({"type": "alerts", "rules": rules, "cooldown": cooldown}, "alerts")
    assert reply["type"] == "alerts" and reply["rules"] == len(rules), reply


async def drain(client: Any, seconds: float) -> None:
    """Read the socket's frames for a while."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while (left := end - loop.time()) > 0:
        try:
            await client.recv(left)
        except asyncio.TimeoutError:
            return


def alerts(client: Any) -> list[dict[str, Any]]:
    return [f for f in client.received if f.get("type") == "alert"]


async def test_a_death_with_its_exit_code_and_last_lines(lw_client, make_container):
    wait = "while [ ! -e /tmp/go ]; do sleep 0.1; done"
    box = make_container(f"{wait}; echo first; echo 'the last words'; exit 3")
    calm = make_container(f"{wait}; echo bye; exit 0")
    client = await lw_client()
    await set_rules(client, [{"server_id": box.name}, {"server_id": calm.name}])
    for container in (box, calm):  # (after the rules: a fixed sleep raced a slow start)
        container.exec_run(["touch", "/tmp/go"])
    alert = await client.until(lambda f: f.get("type") == "alert", timeout=15)
    assert alert["kind"] == "died" and alert["exit_code"] == 3
    assert alert["container"]["name"] == box.name and alert["container"]["id"] == box.id
    assert alert["last_lines"][-2:] == ["first", "the last words"]
    assert "exit code 3" in alert["message"]
    await drain(client, 1.5)
    with_zero = [a for a in alerts(client) if a["container"]["name"] == calm.name]
    assert with_zero == []  # exit code 0 is no alert unless any_exit


async def test_patterns_labels_and_the_cooldown_of_a_restart_loop(lw_client, make_container):
    tag = uuid.uuid4().hex[:6]
    client = await lw_client()
    await set_rules(
        client,
        [{"label": f"alerts={tag}", "events": ["died"], "patterns": [r"panic: \w+"]}],
        cooldown=3,
    )
    loop = make_container(
        "sleep 0.5; echo 'panic: nil map'; exit 2",
        labels={"alerts": tag},
        restart_policy={"Name": "always"},
    )
    first = await client.until(lambda f: f.get("type") == "alert", timeout=15)
    await drain(client, 2)  # it dies about every second meanwhile
    kinds = [(a["kind"], a.get("suppressed")) for a in alerts(client)]
    assert kinds.count(("died", None)) == 1, kinds  # one death alerted within the cooldown
    assert {a["kind"] for a in alerts(client)} == {"died", "pattern"}, kinds
    pattern = next(a for a in alerts(client) if a["kind"] == "pattern")
    assert pattern["line"] == "panic: nil map" and pattern["pattern"] == r"panic: \w+"
    assert first["container"]["id"] == loop.id
    # After the cooldown, the next death is alerted and says how many were held back.
    later = await client.until(
        lambda f: f.get("type") == "alert" and f["kind"] == "died" and f.get("suppressed"),
        timeout=15,
    )
    assert later["suppressed"] >= 1
    # Rules replaced by none: nothing more.
    await set_rules(client, [])
    count = len(alerts(client))
    await drain(client, 3.5)
    assert len(alerts(client)) == count, alerts(client)[count:]


async def test_unhealthy_and_oom(lw_client, make_container, engine_kind, podman_healthcheck):
    # Healthy until the rules are set: Docker says "unhealthy" once, on the change, and a
    # check that failed before the rules would be an event the test never sees.
    sick = make_container(
        "sleep 3600",
        healthcheck={
            "test": ["CMD-SHELL", "[ ! -e /tmp/sick ]"],
            "interval": 200_000_000,
            "retries": 1,
        },
    )
    hog = make_container(
        "while [ ! -e /tmp/go ]; do sleep 0.1; done; tail /dev/zero",
        mem_limit="16m",
        memswap_limit="16m",
    )
    client = await lw_client()
    await set_rules(client, [{"server_id": sick.name}, {"server_id": hog.name}])
    sick.exec_run(["touch", "/tmp/sick"])
    if engine_kind == "podman":
        podman_healthcheck(sick)  # (Podman checks only when asked; no systemd here)
    hog.exec_run(["touch", "/tmp/go"])
    # Podman 4.3 reports an OOM kill as a plain death (exit 137, no "oom" event, OOMKilled
    # false): the alert is then "died", as the README's list of differences says.
    oom = "oom" if engine_kind == "docker" else "died"
    got: dict[str, dict[str, Any]] = {}
    while not {"unhealthy", oom} <= set(got):  # (the OOM kill is a death too: "died")
        alert = await client.until(lambda f: f.get("type") == "alert", timeout=20)
        got[alert["kind"]] = alert
        client.received.remove(alert)
    assert got["unhealthy"]["container"]["name"] == sick.name
    assert got[oom]["container"]["name"] == hog.name
    if engine_kind == "docker":
        assert "OOM" in got["oom"]["message"]
    else:
        assert got["died"]["exit_code"] == 137


async def test_bad_rules_are_refused_clearly(lw_client):
    client = await lw_client()
    for frame, message in (
        ({"rules": "x"}, "needs 'rules'"),
        ({"rules": [{}]}, "one of 'server_id', 'project', 'pod' or 'label'"),
        ({"rules": [{"server_id": "a", "label": "b"}]}, "one of 'server_id'"),
        ({"rules": [{"server_id": "a", "events": ["exploded"]}]}, "'events' must be among"),
        ({"rules": [{"server_id": "a", "patterns": ["("]}]}, "not a valid regular expression"),
        ({"rules": [], "cooldown": -1}, "'cooldown' must be"),
    ):
        reply = await client.request({"type": "alerts", **frame}, "alerts")
        assert reply["type"] == "error" and message in reply["message"], (frame, reply)


def test_alerts_in_python(make_container):
    import threading
    import time

    import littlewings_jupyter as lw

    got: list[dict[str, Any]] = []
    seen = threading.Event()

    def keep(alert: dict[str, Any]) -> None:
        got.append(alert)
        seen.set()

    box = make_container(
        "while [ ! -e /tmp/go ]; do sleep 0.1; done; echo 'fatal: no config'; sleep 0.5; exit 7"
    )
    c = lw.container(box.name)
    with c.on("die", keep) as died, c.on("log", keep, pattern="^fatal:") as logged:
        box.exec_run(["touch", "/tmp/go"])  # (once both watch: a fixed sleep raced a slow start)
        assert seen.wait(15)
        deadline = time.monotonic() + 15
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert died.cancelled and logged.cancelled
    kinds = {a["kind"]: a for a in got}
    assert kinds["pattern"]["line"] == "fatal: no config"
    assert kinds["died"]["exit_code"] == 7 and kinds["died"]["last_lines"] == ["fatal: no config"]
    with pytest.raises(lw.InvalidMessage, match="not a valid regular expression"):
        lw.on_event(print, container=box.name, patterns=["("])
    with pytest.raises(ValueError, match="one of container=, project=, pod= or label="):
        lw.on_event(print)


async def test_a_requested_stop_is_no_death_and_an_oom_kill_is_one_alert(
    lw_client, make_container, post_power, engine_kind
):
    """A restart or stop asked for (the console's own buttons) raises no `died` alert; an OOM
    kill raises the `oom` alert alone (its death is the same news); a crash still alerts."""
    calm = make_container("trap 'exit 130' INT TERM; while true; do sleep 0.1; done")
    hog = make_container(
        "while [ ! -e /tmp/go ]; do sleep 0.1; done; tail /dev/zero",
        mem_limit="16m",
        memswap_limit="16m",
    )
    crash = make_container("while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 3")
    client = await lw_client()
    await set_rules(client, [{"server_id": c.name} for c in (calm, hog, crash)])
    for action in ("restart", "stop"):
        response = await post_power(calm.name, action)
        assert response.code == 200
    hog.exec_run(["touch", "/tmp/go"])
    # (Podman 4.3: an OOM kill is a plain death, exit 137; see test_unhealthy_and_oom.)
    oom_kind = "oom" if engine_kind == "docker" else "died"
    oom = await client.until(lambda f: f.get("type") == "alert" and f["kind"] == oom_kind, 30)
    assert oom["container"]["name"] == hog.name
    crash.exec_run(["touch", "/tmp/go"])
    died = await client.until(
        lambda f: (
            f.get("type") == "alert"
            and f["kind"] == "died"
            and f["container"]["name"] == crash.name
        ),
        30,
    )
    # Neither the asked-for stops nor the OOM kill raised a `died` before the crash's (the
    # events come in order: theirs came first).
    assert died["exit_code"] == 3, died
    await drain(client, 1.0)
    kinds = [
        (f["kind"], f["container"]["name"]) for f in client.received if f.get("type") == "alert"
    ]
    assert kinds == [(oom_kind, hog.name), ("died", crash.name)], kinds
    # The list says which exit was the OOM killer's (the sidebar's row says so).
    listing = await client.request({"type": "list"}, "containers")
    oom_killed = {c["name"]: c.get("oom_killed") for c in listing["containers"]}
    assert oom_killed[hog.name] is (engine_kind == "docker") and oom_killed[crash.name] is False


async def test_a_crash_after_a_requested_stop_is_still_alerted(
    lw_client, make_container, post_power
):
    """A stop asked for explains its one death, not the next: a crash of the same container a
    moment later is news (one death was once expected twice, and the crash was hidden)."""
    box = make_container(
        "trap 'exit 0' TERM; while [ ! -e /tmp/crash ]; do sleep 0.1; done; exit 3"
    )
    client = await lw_client()
    await set_rules(client, [{"server_id": box.name}])
    await client.request({"type": "connect", "server_id": box.name}, "connected")
    mark = client.mark()
    assert (await post_power(box.name, "stop")).code == 200
    await client.until(lambda f: f.get("type") == "status" and f["event"] == "died", since=mark)
    box.start()
    box.exec_run(["touch", "/tmp/crash"])
    died = await client.until(lambda f: f.get("type") == "alert" and f["kind"] == "died", 20)
    assert died["container"]["name"] == box.name and died["exit_code"] == 3, died
    assert [a["kind"] for a in alerts(client)] == ["died"]

"""Creating and removing containers from the sidebar: the dialog, its checks, the confirmation."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from conftest import IMAGE
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.docker]


@pytest.fixture
def created_names(docker_client: Any) -> Any:
    """Names of the containers a test makes from the dialog; removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        for container in docker_client.containers.list(all=True, filters={"name": f"^{name}$"}):
            container.remove(force=True)


def test_new_container_dialog_and_remove(
    lab: Any, docker_client: Any, created_names: list[str]
) -> None:
    """The dialog checks its fields before sending, creates the container with env and a memory
    limit (as docker inspect shows), shows a refusal at its field, and Remove asks first."""
    name = f"lwtest-dialog-{int(time.time() * 1000) % 10**8}"
    created_names.append(name)
    page = lab.page
    panel = lab.show_containers()
    panel.locator(".jp-LittleWings-newContainer").click()
    dialog = page.locator(".jp-Dialog-content")
    expect(dialog.locator(".jp-Dialog-header")).to_contain_text("New container")
    create = dialog.locator(".jp-Dialog-button.jp-mod-accept")
    field = dialog.locator  # for brevity below

    # The image list comes from the engine; a made-up image is refused before sending.
    expect(field("input[name=image]")).to_have_value(re.compile(r".+"))
    field("input[name=image]").fill("no/such:image")
    expect(field(".jp-LittleWings-fieldError").first).to_contain_text("No local image")
    expect(create).to_be_disabled()
    field("input[name=image]").fill(IMAGE)
    field("input[name=name]").fill(name)
    field("input[name=command]").fill("sh -c 'echo made by the dialog; sleep 3600'")
    field("textarea[name=env]").fill("GREETING=hello\nMODE=dialog")
    field("input[name=memory]").fill("lots")
    expect(field("input[name=memory]")).to_have_attribute("aria-invalid", "true")
    expect(create).to_be_disabled()
    field("input[name=memory]").fill("48m")
    field("input[name=ports]").fill("99999:80")
    expect(create).to_be_disabled()
    field("input[name=ports]").fill("")
    field("input[name=volumes]").fill("/etc:/host-etc")  # the server refuses host paths
    expect(create).to_be_enabled()
    lab.screenshot("new-container-dialog")
    create.click()

    # The server's refusal comes back at its field, with what was typed kept.
    dialog = page.locator(".jp-Dialog-content")
    expect(dialog.locator(".jp-LittleWings-formError")).to_contain_text("allowed_bind_roots")
    expect(dialog.locator("input[name=name]")).to_have_value(name)
    dialog.locator("input[name=volumes]").fill("")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()

    row = lab.row(name)
    row.wait_for(timeout=15000)
    info = docker_client.api.inspect_container(name)
    assert info["State"]["Running"]
    assert {"GREETING=hello", "MODE=dialog"} <= set(info["Config"]["Env"])
    assert info["HostConfig"]["Memory"] == 48 * 1024 * 1024
    assert info["Config"]["Cmd"] == ["sh", "-c", "echo made by the dialog; sleep 3600"]
    assert info["Config"]["Labels"]["littlewings.created-by"]

    # Remove: a confirmation first (Cancel keeps it), then it is gone.
    row.click(button="right")
    page.locator(".lm-Menu-item", has_text="Remove Container…").click()
    confirm = page.locator(".jp-Dialog-content")
    expect(confirm).to_contain_text("it will be killed and removed")
    confirm.locator(".jp-Dialog-button", has_text="Cancel").click()
    assert docker_client.api.inspect_container(name)["State"]["Running"]
    row.click(button="right")
    page.locator(".lm-Menu-item", has_text="Remove Container…").click()
    page.locator(".jp-Dialog-content .jp-Dialog-button.jp-mod-warn").click()
    expect(row).to_have_count(0, timeout=15000)
    assert not docker_client.containers.list(all=True, filters={"name": f"^{name}$"})
    assert not lab.errors


def test_the_dialog_checks_memory_and_swap_at_the_field_and_takes_labels_and_a_network(
    lab: Any, docker_client: Any, created_names: list[str]
) -> None:
    """Memory 128m with memory + swap 64m is refused as it is typed, at the swap field, in the
    dialog's words (it passed before, and the server's refusal came at the bottom in wire
    names); labels and a network go to the new container; a refusal about one field stays at
    that field, named as the dialog names it."""
    name = f"lwtest-form-{int(time.time() * 1000) % 10**8}"
    created_names.append(name)
    page = lab.page
    lab.show_containers().locator(".jp-LittleWings-newContainer").click()
    dialog = page.locator(".jp-Dialog-content")
    create = dialog.locator(".jp-Dialog-button.jp-mod-accept")
    field = dialog.locator
    field("input[name=image]").fill(IMAGE)
    field("input[name=name]").fill(name)
    field("input[name=command]").fill("sleep 3600")
    field("input[name=memory]").fill("128m")
    field("input[name=swap]").fill("64m")
    swap_error = field(".jp-LittleWings-formRow:has(input[name=swap]) .jp-LittleWings-fieldError")
    expect(swap_error).to_contain_text("At least the memory limit (128m)")
    expect(field("input[name=swap]")).to_have_attribute("aria-invalid", "true")
    expect(create).to_be_disabled()
    field("input[name=swap]").fill("256m")
    expect(create).to_be_enabled()

    # A network the server refuses: said at the Network field, in the dialog's words.
    field("input[name=network]").fill("host")
    field("textarea[name=labels]").fill("team=data\nlittlewings.test=1")
    try:
        expect(create).to_be_enabled()
    except AssertionError:
        # (Seen once on a loaded machine: say which field the dialog found wrong.)
        errors = dialog.locator(".jp-LittleWings-fieldError").all_inner_texts()
        values = dialog.locator("input, textarea").evaluate_all(
            "nodes => nodes.map(n => `${n.name}=${n.type === 'checkbox' ? n.checked : n.value}`)"
        )
        raise AssertionError(f"Create stayed disabled: errors {errors}, values {values}") from None
    create.click()
    dialog = page.locator(".jp-Dialog-content")
    network_error = dialog.locator(
        ".jp-LittleWings-formRow:has(input[name=network]) .jp-LittleWings-fieldError"
    )
    expect(network_error).to_contain_text("“Network”")
    expect(network_error).to_contain_text("allow_privileged")
    assert "'network'" not in network_error.inner_text()
    dialog.locator("input[name=network]").fill("none")
    expect(network_error).to_have_text("")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()

    lab.row(name).wait_for(timeout=15000)
    info = docker_client.api.inspect_container(name)
    assert info["Config"]["Labels"]["team"] == "data"
    assert info["HostConfig"]["NetworkMode"] == "none"
    assert info["HostConfig"]["MemorySwap"] == 256 * 1024 * 1024
    assert not lab.errors, lab.errors

"""The example notebooks run from top to bottom against a real Docker engine."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.docker

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# The notebooks label their containers littlewings.example=$LITTLEWINGS_EXAMPLE_RUN: a run id
# of this test's own, so that it removes (and looks for) only the containers it made, never those
# of another test run on the same machine.
EXAMPLE_RUN = f"test-{uuid.uuid4().hex[:8]}"
EXAMPLE_LABEL = f"littlewings.example={EXAMPLE_RUN}"


def outputs_text(nb: Any) -> str:
    """Everything the notebook's cells printed or displayed, as one text."""
    return outputs_text_of(nb.cells)


def outputs_text_of(cells: Any) -> str:
    """Everything these cells printed or displayed, as one text."""
    parts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                parts.append(output["text"])
            for kind in ("text/plain", "text/html"):
                if kind in output.get("data", {}):
                    parts.append(output["data"][kind])
    return "\n".join(parts)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.ipynb")), ids=lambda p: p.name)
def test_example_notebook_runs(path: Path, docker_client: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("LITTLEWINGS_EXAMPLE_RUN", EXAMPLE_RUN)  # the kernel inherits it
    nb = nbformat.read(path, as_version=4)
    assert not any(
        cell.get("outputs") or cell.get("execution_count")
        for cell in nb.cells
        if cell.cell_type == "code"
    ), f"{path.name} is committed with outputs"
    # The kernel is python3 of this environment (jupyter_client runs it with sys.executable).
    client = NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    try:
        client.execute()
    finally:
        # The notebook removes its container in its last cell; if a cell failed, do it here.
        for left in docker_client.containers.list(all=True, filters={"label": EXAMPLE_LABEL}):
            left.remove(force=True)
    if path.name == "littlewings-api.ipynb":
        text = outputs_text(nb)
        assert "jp-LittleWings-badge-running" in text
        assert "[stdout] demo: hello from the notebook" in text
        assert "[stderr] demo: warning: this one goes to stderr" in text
        assert "exit code: 0 - exited" in text
        assert "Refused: Cannot unpause the container: it is not paused." in text
    if path.name == "littlewings-console-widget.ipynb":
        text = outputs_text(nb)
        assert "demo: hello from Python" in text
        assert "stderr lines seen: ['demo: warning: the kettle is on']" in text
        exec_cell = next(c for c in nb.cells if 'via="exec"' in c.source)
        assert "3 exec says 42" in outputs_text_of([exec_cell]), exec_cell.get("outputs")
        assert "widget threads left: []" in text
        assert any(
            "application/vnd.jupyter.widget-view+json" in output.get("data", {})
            for cell in nb.cells
            for output in cell.get("outputs", [])
        )
    if path.name == "littlewings-logs-as-data.ipynb":
        text = outputs_text(nb)
        memory = re.search(r"memory (\d+) MiB at the start, (\d+) MiB at the end", text)
        assert memory is not None, text
        # 2 MiB more a second; the stats may start seconds after the demo on a loaded machine.
        assert int(memory.group(2)) >= int(memory.group(1)) + 10
        assert "{'trace': 0, 'debug': 0, 'info': 90, 'warn': 20, 'error': 90, 'fatal': 0}" in text
        shares = re.search(r"errors per 10 s \(% of lines\): \[([\d, ]+)\]", text)
        assert shares is not None, text
        per_10s = [int(share) for share in shares.group(1).split(",")]
        assert len(per_10s) >= 2 and per_10s == sorted(per_10s) and per_10s[-1] > per_10s[0]
        assert any(  # the plot
            "image/png" in output.get("data", {})
            for cell in nb.cells
            for output in cell.get("outputs", [])
        )
    assert not docker_client.containers.list(all=True, filters={"label": EXAMPLE_LABEL})

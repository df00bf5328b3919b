"""A real `jupyter server` with LittleWings in a process of its own, for the tests that need
one (a signal, a kill -9, a restart, fuzzing over HTTP). A module apart from conftest.py:
`from conftest import …` may find tests/browser/conftest.py when the whole suite runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from typing import Any


def start_jupyter_server(root: Any, *options: str) -> tuple[subprocess.Popen[bytes], int, str]:
    """A real `jupyter server` with LittleWings in its own process (for what an in-process
    server cannot show: a signal, a kill -9, a restart), its root and config under ``root``,
    its stderr in ``root/server.log``; ``options`` are more of its command line. The
    process, its port and its token; it may still be starting."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = uuid.uuid4().hex
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LittleWings.use_docker_contexts=False",
            *options,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(root / "server.log", "ab"),  # noqa: SIM115 - the server keeps it
    )
    return process, port, token

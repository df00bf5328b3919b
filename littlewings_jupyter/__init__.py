"""LittleWings for Jupyter: watch and drive Docker containers from Jupyter.

The server extension adds an authenticated WebSocket console and REST endpoints under
``{base_url}api/littlewings/``; the JupyterLab extension adds a Containers sidebar.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import LittleWings

    return [{"module": "littlewings_jupyter", "app": LittleWings}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "littlewings-jupyter"}]


__all__ = ["__version__"]

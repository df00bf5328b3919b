"""How containers look in a notebook: an HTML table with state badges (in JupyterLab's theme
colours, so light and dark both work), and a plain-text one."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any


def containers_text(summaries: Sequence[dict[str, Any]]) -> str:
    """Containers (their summaries) as a plain-text table, like ``docker ps``."""
    if not summaries:
        return "ContainerList([])  # no containers"
    rows = [("NAME", "STATE", "STATUS", "IMAGE", "PROJECT", "ID")]
    for info in summaries:
        rows.append(
            (
                str(info.get("name", "")),
                str(info.get("state", "")),
                str(info.get("status", "")),
                str(info.get("image", "")),
                str(info.get("compose_project") or ""),
                str(info.get("id", ""))[:12],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    )


# JupyterLab's theme variables (with fallbacks outside JupyterLab), so light and dark both work.
_BADGE_COLORS = {
    "running": "var(--jp-success-color1, #388e3c)",
    "paused": "var(--jp-warn-color1, #f57c00)",
    "restarting": "var(--jp-info-color1, #0288d1)",
    "removing": "var(--jp-warn-color1, #f57c00)",
    "dead": "var(--jp-error-color1, #d32f2f)",
}
_BADGE_DEFAULT = "var(--jp-layout-color4, #757575)"


def _state_badge(state: str, exit_code: Any, health: Any) -> str:
    color = _BADGE_COLORS.get(state, _BADGE_DEFAULT)
    if state == "exited" and exit_code not in (None, 0):
        color = "var(--jp-error-color1, #d32f2f)"
    badge = (
        f'<span class="jp-LittleWings-badge jp-LittleWings-badge-{html.escape(state)}" '
        f'style="background:{color};color:#fff;border-radius:8px;padding:1px 8px;'
        f'font-size:0.85em;white-space:nowrap">{html.escape(state or "?")}</span>'
    )
    if health:
        badge += f' <small title="health">({html.escape(str(health))})</small>'
    return badge


def containers_table(summaries: Sequence[dict[str, Any]]) -> str:
    """Containers (their summaries) as an HTML table with state badges in JupyterLab's colours."""
    if not summaries:
        return "<p><em>No containers.</em></p>"
    head = "".join(
        f'<th style="text-align:left">{name}</th>'
        for name in ("Name", "State", "Status", "Image", "Project", "Id")
    )
    rows = []
    for info in summaries:
        cells = [
            f"<b>{html.escape(str(info.get('name', '')))}</b>",
            _state_badge(str(info.get("state", "")), info.get("exit_code"), info.get("health")),
            html.escape(str(info.get("status", ""))),
            html.escape(str(info.get("image", ""))),
            html.escape(str(info.get("compose_project") or "")),
            f"<code>{html.escape(str(info.get('id', ''))[:12])}</code>",
        ]
        rows.append(
            "<tr>" + "".join(f'<td style="text-align:left">{x}</td>' for x in cells) + "</tr>"
        )
    caption = f"{len(summaries)} container{'s' if len(summaries) != 1 else ''}"
    return (
        '<table class="jp-LittleWings-containers">'
        f'<caption style="text-align:left">{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


__all__ = ["containers_table", "containers_text"]

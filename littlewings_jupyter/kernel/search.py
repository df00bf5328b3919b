"""Searching a container's (or a group's) whole log from notebooks: ``c.search("error")``.

The server's search (:mod:`littlewings_jupyter.session.search`) over the merged history that
the server's download reads; the matches come back as :class:`~.lines.Line` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..docker.engine import DockerEngine
from ..parsing.lines import LogLine, Stream
from ..session.groups import container_history
from ..session.search import SearchQuery, scan
from .lines import Line, docker_time


@dataclass
class SearchMatch:
    """A line that a search found, with the lines around it (of the same container)."""

    line: Line
    before: list[Line]
    after: list[Line]

    @property
    def container(self) -> str | None:
        """Whose line it is, in a merged search."""
        return self.line.container

    def __repr__(self) -> str:
        return f"SearchMatch({self.line!r})"


def search_history(
    engine: DockerEngine, members: list[tuple[Any, Any]], query: str, options: dict[str, Any]
) -> list[SearchMatch]:
    """Run a search (session/search.py) over the merged history of ``members``."""
    Stream.parse(options["stream"])  # (a ValueError in Python, before any read)
    level = options["level"]
    levels = None if level is None else [level] if isinstance(level, str) else list(level)
    spec = SearchQuery.from_message(
        {
            "query": query,
            "regex": options["regex"],
            "case_sensitive": options["case_sensitive"],
            "stream": options["stream"],
            "level": levels,
            "context": options["context"],
            "limit": options["limit"],
        }
    )
    since = docker_time(options["since"], "since")
    until = docker_time(options["until"], "until")
    source = container_history(engine, members, None, since, until)

    def public(line: LogLine, member: Any) -> Line:
        return Line.from_log_line(line, getattr(member, "name", None))

    found: list[SearchMatch] = []
    try:
        for kind, value in scan(spec, source):
            if kind == "matches":
                found.extend(
                    SearchMatch(
                        public(m.line, m.member),
                        [public(x, m.member) for x in m.before],
                        [public(x, m.member) for x in m.after],
                    )
                    for m in value
                )
    finally:
        source.close()
    return found


__all__ = ["SearchMatch", "search_history"]

"""The files inside a container, from a notebook (``c.files``)."""

from __future__ import annotations

from typing import Any

from ..docker.files import ContainerFiles
from .interfaces import ContainerLike


class Files:
    """The files inside one container (``c.files``), through Docker's archive API.

    Works on stopped containers too, except :meth:`delete` and :meth:`rename` (a program in
    the container does those). Paths are the container's: ``..`` cannot leave its root and
    links are followed inside it. Reads and writes stop at the client's
    ``limits.max_file_size``.
    """

    def __init__(self, container: ContainerLike) -> None:
        self.container = container
        self._files = ContainerFiles(container.engine)

    @property
    def _max(self) -> int:
        return int(self.container.client.limits.max_file_size)

    def list(self, path: str = "/") -> list[dict[str, Any]]:
        """A directory's entries: ``name``, ``path``, ``type`` (file, directory, symlink),
        ``size``, ``mtime``, ``mode``."""
        return list(self._files.listdir(self.container.id, path)["entries"])

    def stat(self, path: str) -> dict[str, Any]:
        """One entry (a link as such, with its ``target``)."""
        return self._files.stat(self.container.id, path)

    def read(self, path: str) -> bytes:
        """A file's bytes."""
        return self._files.read(self.container.id, path, self._max)[0]

    def read_text(self, path: str, encoding: str = "utf-8") -> str:
        """A file's text."""
        return self.read(path).decode(encoding)

    def write(
        self, path: str, data: str | bytes, last_modified: str | None = None
    ) -> dict[str, Any]:
        """Write a file (text as UTF-8); its new entry. With ``last_modified`` (an ``mtime``
        read earlier) a file changed since is not overwritten
        (:class:`~littlewings_jupyter.errors.Conflict`)."""
        self.container.client._check_write("writing a file")
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return self._files.write(self.container.id, path, raw, self._max, last_modified)

    def mkdir(self, path: str) -> dict[str, Any]:
        """A new directory."""
        self.container.client._check_write("making a directory")
        return self._files.mkdir(self.container.id, path)

    def rename(self, path: str, new_path: str) -> dict[str, Any]:
        """Move or rename (the container must run)."""
        self.container.client._check_write("renaming a file")
        return self._files.rename(self.container.id, path, new_path)

    def delete(self, path: str) -> None:
        """Delete a file or a directory with its contents (the container must run)."""
        self.container.client._check_write("deleting a file")
        self._files.delete(self.container.id, path)


__all__ = ["Files"]

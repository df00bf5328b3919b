"""The REST endpoint of a container's files: list, read, write, mkdir, rename, delete."""

from __future__ import annotations

import base64

from jupyter_server.auth.decorator import authorized
from tornado import web

from ...docker.files import normalize
from ...docker.models import ContainerRef
from ...errors import (
    InvalidMessage,
)
from .base import FILENAME_SAFE, LittleWingsAPIHandler


class FilesHandler(LittleWingsAPIHandler):
    """``api/littlewings/containers/{id}/files?path=…``: the files inside a container.

    ``GET`` a directory: its entries; a file: its entry, with ``content=1`` its content (text,
    or base64 when it is not UTF-8, as Jupyter's contents API answers), with ``raw=1`` its
    bytes as a download. ``PUT`` ``{"content", "format": "text"|"base64", "last_modified"}``
    writes a file (refused when it changed since ``last_modified``), ``{"type": "directory"}``
    makes a folder; ``PATCH`` ``{"path": new}`` renames; ``DELETE`` deletes.
    """

    async def _target(self, ref: str) -> tuple[ContainerRef, str]:
        """The container (the user may see it) and the ``path`` argument, normalized.

        Changes are not ``@authorized``: the Authorizer's ``write`` is asked in
        ``SessionManager.change_file``, so a refusal is audited like any other.
        """
        if not await self.is_authorized("read"):
            raise web.HTTPError(403)
        container = await self.container(ref)
        return container, normalize(self.get_argument("path", "/", strip=False))

    @web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        """An entry, a listing, a content or a download."""
        manager = self.manager
        container, path = await self._target(ref)
        files = manager.slot_of(container).files
        entry = await manager.run(files.resolve, container.id, path)
        if entry["type"] == "directory":
            self.finish(await manager.run(files.listdir, container.id, path))
            return
        if not (self.get_flag("content") or self.get_flag("raw")):
            self.finish(entry)
            return
        data, entry = await manager.run(
            files.read, container.id, path, manager.limits.max_file_size
        )
        if self.get_flag("raw"):
            name = FILENAME_SAFE.sub("_", entry["name"]) or "file"
            self.set_header("Content-Disposition", f'attachment; filename="{name}"')
            self.finish(data, set_content_type="application/octet-stream")
            return
        try:
            content, format_ = data.decode("utf-8"), "text"
        except UnicodeDecodeError:
            content, format_ = base64.b64encode(data).decode("ascii"), "base64"
        self.finish({**entry, "content": content, "format": format_})

    @web.authenticated
    async def put(self, ref: str) -> None:
        """Write a file, or make a directory."""
        manager = self.manager
        container, path = await self._target(ref)
        body = self.json_body()
        if not isinstance(body, dict):
            raise InvalidMessage("The body is a JSON object.")
        if body.get("type") == "directory":
            entry = await manager.actions.change_file(
                self, container, "mkdir", path, "rest", manager.slot_of(container).files.mkdir, path
            )
            self.set_status(201)
            self.finish(entry)
            return
        content = body.get("content")
        format_ = body.get("format", "text")
        if not isinstance(content, str) or format_ not in ("text", "base64"):
            raise InvalidMessage("'content' (a string) and 'format' (text or base64) are needed.")
        try:
            data = content.encode("utf-8") if format_ == "text" else base64.b64decode(content)
        except (ValueError, UnicodeEncodeError):
            raise InvalidMessage("'content' is not valid for its format.") from None
        expected = body.get("last_modified")
        if expected is not None and not isinstance(expected, str):
            raise InvalidMessage("'last_modified' is the time the file was read (ISO 8601).")
        entry = await manager.actions.change_file(
            self,
            container,
            "file_write",
            path,
            "rest",
            manager.slot_of(container).files.write,
            path,
            data,
            manager.limits.max_file_size,
            expected,
        )
        self.finish(entry)

    @web.authenticated
    async def patch(self, ref: str) -> None:
        """Rename or move."""
        manager = self.manager
        container, path = await self._target(ref)
        body = self.json_body()
        new_path = body.get("path") if isinstance(body, dict) else None
        if not isinstance(new_path, str):
            raise InvalidMessage("'path' is the new path.")
        entry = await manager.actions.change_file(
            self,
            container,
            "file_rename",
            f"{path} -> {normalize(new_path)}",
            "rest",
            manager.slot_of(container).files.rename,
            path,
            new_path,
        )
        self.finish(entry)

    @web.authenticated
    async def delete(self, ref: str) -> None:
        """Delete a file or a directory (with what it holds)."""
        manager = self.manager
        container, path = await self._target(ref)
        await manager.actions.change_file(
            self,
            container,
            "file_delete",
            path,
            "rest",
            manager.slot_of(container).files.delete,
            path,
        )
        self.set_status(204)
        self.finish()

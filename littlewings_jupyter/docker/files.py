"""Files inside a container, through Docker's archive API (as ``docker cp`` does it).

Reads, writes and new folders use ``GET``/``PUT``/``HEAD /containers/{id}/archive``: they work on
stopped containers too and never touch a host path. Docker resolves every path inside the
container's own root filesystem: ``..`` cannot leave it, and a symbolic link is followed as the
container would follow it (an absolute link target is taken from the container's ``/``, not the
host's). Listing a directory, deleting and renaming need a program in a *running* container
(``find``/``stat``, ``rm``, ``mv``: there is no archive call for them); a stopped container's
directory is listed from its archive instead, up to a budget.
"""

from __future__ import annotations

import base64
import io
import json
import posixpath
import re
import tarfile
import time
from datetime import datetime, timezone
from typing import Any

from ..errors import (
    Conflict,
    DockerError,
    FileChanged,
    FileNotFound,
    FileProblem,
    FileTooLarge,
    Forbidden,
)
from ..parsing.lines import STDOUT
from .engine import DockerEngine
from .processes import Exec

# A stopped container's directory is read from its archive: at most this much of it.
LIST_BUDGET = 64 * 1024 * 1024

# One entry a line: type, size, mtime, octal mode, name (tab-separated), then the type of what
# each symbolic link points to. busybox, coreutils and toybox all have these options.
LIST_SCRIPT = r"""
cd -- "$1" || exit 3
find . -mindepth 1 -maxdepth 1 -exec stat -c '%F	%s	%Y	%a	%n' -- {} + || exit 4
echo '--links--'
find . -mindepth 1 -maxdepth 1 -type l -exec stat -L -c '%F	%n' -- {} + 2>/dev/null
exit 0
"""


MAX_PATH = 4096  # bytes, as Linux's PATH_MAX
MAX_NAME = 255  # bytes of one path component, as Linux's NAME_MAX
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize(path: Any, name: str = "path") -> str:
    """An absolute, normalized path inside the container (``..`` cannot climb above ``/``).

    A path Linux could not have is refused naming ``name`` (NUL, control characters, over
    4096 bytes or a component over 255), before Docker sees it.
    """
    if not isinstance(path, str):
        raise FileProblem(f"'{name}' must be a path (a string).", field=name)
    bad = _CONTROL.search(path)
    if bad:
        raise FileProblem(
            f"'{name}' contains a control character ({bad.group()!r}): no path has one here.",
            field=name,
        )
    size = len(path.encode("utf-8", "surrogatepass"))
    if size > MAX_PATH:
        raise FileProblem(f"'{name}' is {size} bytes; a path has at most {MAX_PATH}.", field=name)
    longest = max((len(p.encode("utf-8", "surrogatepass")) for p in path.split("/")), default=0)
    if longest > MAX_NAME:
        raise FileProblem(
            f"'{name}' has a name of {longest} bytes; a file name has at most {MAX_NAME}.",
            field=name,
        )
    path = posixpath.normpath("/" + path.lstrip("/"))
    return "/" if path in ("/", "//") else path.rstrip("/")


def iso_time(value: Any) -> str:
    """An ISO time (UTC) from Unix seconds or Docker's RFC 3339 string."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc).isoformat()
    if isinstance(value, str) and value:
        text = value.replace("Z", "+00:00")
        # Docker gives nanoseconds; Python parses microseconds.
        if "." in text:
            head, _, rest = text.partition(".")
            digits = "".join(c for c in rest if c.isdigit())
            zone = rest[len(digits) :]
            text = f"{head}.{digits[:6]}{zone}"
        try:
            return datetime.fromisoformat(text).astimezone(timezone.utc).isoformat()
        except ValueError:
            return value
    return ""


def _kind(mode: int, link: str = "") -> str:
    if link or mode & 0o170000 == 0o120000 or mode & (1 << 27):  # Go's os.ModeSymlink
        return "symlink"
    if mode & 0o040000 or mode & (1 << 31):  # S_IFDIR, or Go's os.ModeDir
        return "directory"
    return "file"


class ContainerFiles:
    """The files of the engine's containers."""

    def __init__(self, engine: DockerEngine) -> None:
        self.engine = engine

    def _url(self, container_id: str) -> str:
        return self.engine.api._url("/containers/{0}/archive", container_id)

    # -- reading ----------------------------------------------------------------------------

    def stat(self, container_id: str, path: str) -> dict[str, Any]:
        """What Docker says of one path (``name``, ``size``, ``mode``, ``mtime``, ``linkTarget``),
        as an entry; :class:`FileNotFound` when there is none."""
        path = normalize(path)
        api = self.engine.api

        def head() -> Any:
            response = api.head(self._url(container_id), params={"path": path})
            if response.status_code == 404:
                raise FileNotFound(path)
            api._raise_for_status(response)
            return response.headers.get("X-Docker-Container-Path-Stat")

        header = self.engine.call(head, container_id)
        info = json.loads(base64.b64decode(header)) if header else {}
        return self._entry(path, info)

    def resolve(self, container_id: str, path: str) -> dict[str, Any]:
        """The entry of ``path`` with its symbolic links followed (inside the container)."""
        entry = self.stat(container_id, path)
        for _ in range(8):  # a link to a link…: Docker gives each target inside the container
            if entry["type"] != "symlink" or not entry.get("target"):
                return entry
            entry = self.stat(container_id, entry["target"])
        raise FileProblem(f"{normalize(path)!r}: too many levels of symbolic links.")

    def _entry(self, path: str, info: dict[str, Any]) -> dict[str, Any]:
        link = info.get("linkTarget") or ""
        mode = int(info.get("mode") or 0)
        kind = _kind(mode, "")
        entry = {
            "name": posixpath.basename(path) or "/",
            "path": path,
            "type": kind,
            "size": int(info.get("size") or 0),
            "mtime": iso_time(info.get("mtime")),
            "mode": oct(mode & 0o777),
        }
        if link and link != path:
            entry["target"] = link  # Docker followed it: the stat is the target's
        return entry

    def read(self, container_id: str, path: str, max_size: int) -> tuple[bytes, dict[str, Any]]:
        """A file's bytes and its entry; :class:`FileTooLarge` over ``max_size``."""
        entry = self.resolve(container_id, path)
        path = entry["path"]
        if entry["type"] == "directory":
            raise FileProblem(f"{path!r} is a directory: list it instead.")
        if entry["size"] > max_size:
            raise FileTooLarge(
                f"{path!r} is {entry['size']:,} bytes; this server reads files up to "
                f"{max_size:,} bytes (max_file_size)."
            )
        api = self.engine.api

        def get() -> bytes:
            stream, _ = api.get_archive(container_id, path)
            buffer = io.BytesIO()
            for chunk in stream:
                buffer.write(chunk)
                if buffer.tell() > max_size + 64 * 1024:  # it grew meanwhile
                    raise FileTooLarge(f"{path!r} is over {max_size:,} bytes (max_file_size).")
            buffer.seek(0)
            with tarfile.open(fileobj=buffer, mode="r:") as archive:
                for member in archive:
                    if member.isfile():
                        data = archive.extractfile(member)
                        return data.read() if data is not None else b""
            raise FileProblem(f"{path!r} is not a regular file.")

        return self.engine.call(get, container_id), entry

    def listdir(self, container_id: str, path: str) -> dict[str, Any]:
        """A directory's entries (not recursive), folders first, then by name."""
        asked = normalize(path)
        entry = self.resolve(container_id, asked)
        path = entry["path"]  # a link's target: read there, named as asked
        if entry["type"] != "directory":
            raise FileProblem(f"{asked!r} is not a directory.")
        info = self.engine.call(
            lambda: self.engine.api.inspect_container(container_id), container_id
        )
        running = (info.get("State") or {}).get("Status") == "running"
        entries, truncated = self._list_by_exec(container_id, path) if running else (None, False)
        if entries is None:
            entries, truncated = self._list_by_archive(container_id, path)
        entries.sort(key=lambda e: (e["type"] != "directory", e["name"].lower()))
        for item in entries:
            item["path"] = posixpath.join(asked, item["name"])
        return {**entry, "path": asked, "entries": entries, "truncated": truncated}

    def _list_by_exec(
        self, container_id: str, path: str
    ) -> tuple[list[dict[str, Any]] | None, bool]:
        out: list[str] = []
        run = Exec(self.engine, container_id, ["/bin/sh", "-c", LIST_SCRIPT, "sh", path])
        try:
            code = run.run(lambda stream, text: out.append(text) if stream == STDOUT else None, 30)
        except DockerError:
            return None, False  # no /bin/sh: read the archive
        if code != 0:
            return None, False
        text = "".join(out)
        listing, _, links = text.partition("--links--\n")
        targets: dict[str, str] = {}
        for line in links.splitlines():
            kind, _, name = line.partition("\t")
            targets[name] = kind
        entries = []
        for line in listing.splitlines():
            parts = line.split("\t", 4)
            if len(parts) != 5:
                continue  # a name with a tab or a newline: not listed
            kind, size, mtime, mode, name = parts
            name = name[2:] if name.startswith("./") else name
            entry: dict[str, Any] = {
                "name": name,
                "path": posixpath.join(path, name),
                "type": {"directory": "directory", "symbolic link": "symlink"}.get(kind, "file"),
                "size": int(size) if size.isdigit() else 0,
                "mtime": iso_time(int(mtime)) if mtime.isdigit() else "",
                "mode": "0o" + mode,
            }
            if entry["type"] == "symlink":
                entry["points_to"] = (
                    "directory" if targets.get("./" + name) == "directory" else "file"
                )
            entries.append(entry)
        return entries, False

    def _list_by_archive(self, container_id: str, path: str) -> tuple[list[dict[str, Any]], bool]:
        """A stopped container: the directory's archive, read up to LIST_BUDGET."""
        api = self.engine.api

        def get() -> tuple[list[dict[str, Any]], bool]:
            stream, _ = api.get_archive(container_id, path)

            class Reader(io.RawIOBase):
                def __init__(self) -> None:
                    self.chunks = iter(stream)
                    self.buffer = b""
                    self.total = 0

                def readable(self) -> bool:
                    return True

                def readinto(self, target: Any) -> int:
                    while not self.buffer:
                        try:
                            self.buffer = next(self.chunks)
                        except StopIteration:
                            return 0
                        self.total += len(self.buffer)
                        if self.total > LIST_BUDGET:
                            raise _Budget()
                    n = min(len(target), len(self.buffer))
                    target[:n] = self.buffer[:n]
                    self.buffer = self.buffer[n:]
                    return n

            entries: list[dict[str, Any]] = []
            truncated = False
            reader = Reader()
            try:
                with tarfile.open(fileobj=io.BufferedReader(reader), mode="r|") as archive:
                    # Docker names a folder's members after it ("etc/passwd"), but the root's
                    # without a first part ("/bin", "/bin/sh").
                    depth = 1 if path == "/" else 2
                    for member in archive:
                        parts = member.name.strip("/").split("/")
                        if len(parts) != depth or not parts[-1]:
                            continue  # the directory itself, or deeper
                        kind = (
                            "directory"
                            if member.isdir()
                            else "symlink"
                            if member.issym()
                            else "file"
                        )
                        entries.append(
                            {
                                "name": parts[-1],
                                "path": posixpath.join(path, parts[-1]),
                                "type": kind,
                                "size": member.size,
                                "mtime": iso_time(member.mtime),
                                "mode": oct(member.mode & 0o7777),
                            }
                        )
            except _Budget:
                truncated = True
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
            return entries, truncated

        return self.engine.call(get, container_id)

    # -- writing ----------------------------------------------------------------------------

    def write(
        self,
        container_id: str,
        path: str,
        data: bytes,
        max_size: int,
        expected_mtime: str | None = None,
    ) -> dict[str, Any]:
        """Write a file (created, or replaced keeping its mode); its new entry.

        ``expected_mtime`` (what the client read): refused with :class:`FileChanged` when the
        file changed since, as Jupyter's own contents API refuses to overwrite a newer file.
        """
        path = normalize(path)
        if path == "/":
            raise FileProblem("'/' is a directory.")
        if len(data) > max_size:
            raise FileTooLarge(
                f"The file is {len(data):,} bytes; this server writes files up to "
                f"{max_size:,} bytes (max_file_size)."
            )
        mode = 0o644
        try:
            current = self.resolve(container_id, path)  # through a link, as an editor saves
            path = current["path"]
        except FileNotFound:
            current = None
        if current is not None:
            if current["type"] == "directory":
                raise FileProblem(f"{path!r} is a directory.")
            mode = int(current["mode"], 8) or 0o644
            if expected_mtime and current["mtime"] and current["mtime"] != iso_time(expected_mtime):
                raise FileChanged(
                    f"{path!r} changed in the container since it was read "
                    f"({current['mtime']}): not overwritten. Reload it, or save it anyway "
                    "without last_modified.",
                    mtime=current["mtime"],
                )
        info = tarfile.TarInfo(posixpath.basename(path))
        info.size = len(data)
        info.mode = mode
        info.mtime = time.time()  # a PAX archive keeps the fraction: two saves in a second differ
        try:
            self._put(container_id, posixpath.dirname(path), info, data)
        except DockerError as exc:
            if "busy" not in exc.message or current is None:
                raise
            # A file Docker mounts into the container (/etc/hostname, /etc/hosts, a bind
            # mount): the archive cannot replace it; the container's own `cat` writes it.
            self._write_in_place(container_id, path, data)
        return self.stat(container_id, path)

    def _write_in_place(self, container_id: str, path: str, data: bytes) -> None:
        """Write over an existing file from inside the running container (``cat > path``)."""
        import socket

        api = self.engine.api

        def write() -> int | None:
            created = api.exec_create(
                container_id, ["sh", "-c", 'cat > "$1"', "sh", path], stdin=True
            )
            sock = api.exec_start(created["Id"], socket=True)
            raw = getattr(sock, "_sock", sock)
            try:
                raw.sendall(data)
                raw.shutdown(socket.SHUT_WR)
                while raw.recv(65536):
                    pass
            finally:
                raw.close()
            return api.exec_inspect(created["Id"]).get("ExitCode")

        code = self.engine.call(write, container_id)
        if code != 0:
            raise FileProblem(f"Writing {path!r} in the container failed (exit {code}).")

    def mkdir(self, container_id: str, path: str) -> dict[str, Any]:
        """A new directory (its parent must exist)."""
        path = normalize(path)
        try:
            self.stat(container_id, path)
        except FileNotFound:
            pass
        else:
            raise Conflict(f"{path!r} already exists.")
        info = tarfile.TarInfo(posixpath.basename(path))
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        info.mtime = time.time()
        self._put(container_id, posixpath.dirname(path), info, None)
        return self.stat(container_id, path)

    def _put(self, container_id: str, directory: str, info: tarfile.TarInfo, data: bytes | None):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
        api = self.engine.api

        def put() -> None:
            try:
                ok = api.put_archive(container_id, directory, buffer.getvalue())
            except Exception as exc:
                status = getattr(exc, "status_code", None)
                if status == 404:
                    raise FileNotFound(directory) from None
                if status == 403:
                    raise Forbidden(
                        f"The container's filesystem refuses writes to {directory!r} "
                        "(read-only root or volume)."
                    ) from None
                raise
            if not ok:
                raise DockerError(f"Docker did not write into {directory!r}.")

        self.engine.call(put, container_id)

    def _run(self, container_id: str, argv: list[str], what: str) -> None:
        info = self.engine.call(
            lambda: self.engine.api.inspect_container(container_id), container_id
        )
        if (info.get("State") or {}).get("Status") != "running":
            raise Conflict(
                f"{what} needs the container running (Docker's archive API cannot delete or "
                "rename; a program in the container does it)."
            )
        errors: list[str] = []
        code = Exec(self.engine, container_id, argv).run(
            lambda stream, text: errors.append(text) if stream != STDOUT else None, 30
        )
        if code != 0:
            raise FileProblem(f"{what} failed: {''.join(errors).strip() or f'exit {code}'}")

    def delete(self, container_id: str, path: str) -> None:
        """Delete a file or a directory with what it holds (``rm -rf``; a running container)."""
        path = normalize(path)
        if path == "/":
            raise FileProblem("'/' cannot be deleted.")
        self.stat(container_id, path)
        self._run(container_id, ["rm", "-rf", "--", path], f"Deleting {path!r}")

    def rename(self, container_id: str, path: str, new_path: str) -> dict[str, Any]:
        """Move or rename (``mv``; a running container); the new entry."""
        path, new_path = normalize(path), normalize(new_path)
        if "/" in (path, new_path):
            raise FileProblem("'/' cannot be renamed.")
        self.stat(container_id, path)
        try:
            self.stat(container_id, new_path)
        except FileNotFound:
            pass
        else:
            raise Conflict(f"{new_path!r} already exists.")
        self._run(container_id, ["mv", "--", path, new_path], f"Renaming {path!r}")
        return self.stat(container_id, new_path)


class _Budget(Exception):
    """The archive of a directory is larger than the listing budget."""


__all__ = ["ContainerFiles", "normalize"]

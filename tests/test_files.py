"""Files inside containers (REST and Python) through Docker's archive API, on a real engine."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

import littlewings_jupyter as lw
from littlewings_jupyter.docker.files import normalize

pytestmark = [pytest.mark.docker, pytest.mark.both_engines]

SETUP = "ln -s /etc /linketc; ln -s hostname /etc/hn; mkdir -p /data/sub; echo hi > /data/a.txt"


async def files(jp_fetch: Any, ref: str, method: str = "GET", body: Any = None, **params: str):
    """One request to …/files; (status, JSON body or bytes)."""
    try:
        response = await jp_fetch(
            "api",
            "littlewings",
            "containers",
            ref,
            "files",
            method=method,
            params=params,
            body=None if body is None else json.dumps(body),
        )
    except HTTPClientError as exc:
        assert exc.response is not None
        return exc.code, json.loads(exc.response.body)
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return response.code, json.loads(response.body) if response.body else None
    return response.code, response.body


def run(container: Any, command: str) -> str:
    return container.exec_run(["sh", "-c", command]).output.decode()


async def test_read_write_list_rename_delete(jp_fetch: Any, make_container: Any) -> None:
    box = make_container(f"{SETUP}; sleep 3600")
    run(box, "true")  # the setup ran

    code, listing = await files(jp_fetch, box.name, path="/")
    assert code == 200 and listing["type"] == "directory"
    kinds = {e["name"]: e["type"] for e in listing["entries"]}
    assert kinds["etc"] == "directory" and kinds["linketc"] == "symlink"
    assert [e["name"] for e in listing["entries"]][:2] != ["linketc"]  # folders first
    link = next(e for e in listing["entries"] if e["name"] == "linketc")
    assert link["points_to"] == "directory"

    # A file: its entry, its text, through a link too; a listing through a linked directory.
    code, hostname = await files(jp_fetch, box.name, path="/etc/hostname", content="1")
    assert code == 200 and hostname["format"] == "text"
    assert hostname["content"].strip() == run(box, "cat /etc/hostname").strip()
    code, via_link = await files(jp_fetch, box.name, path="/etc/hn", content="1")
    assert via_link["content"] == hostname["content"]
    code, linked = await files(jp_fetch, box.name, path="/linketc")
    assert linked["path"] == "/linketc" and "/linketc/hostname" in {
        e["path"] for e in linked["entries"]
    }

    # Write it back; docker exec cat reads what was saved.
    code, saved = await files(
        jp_fetch,
        box.name,
        "PUT",
        {"content": "edited-in-jupyter\n", "format": "text", "last_modified": hostname["mtime"]},
        path="/etc/hostname",
    )
    assert code == 200, saved
    assert run(box, "cat /etc/hostname") == "edited-in-jupyter\n"
    assert saved["mtime"] != hostname["mtime"] and saved["mode"] == hostname["mode"]

    # Changed underneath since it was read: not overwritten.
    run(box, "echo changed-by-the-container > /etc/hostname")
    code, refused = await files(
        jp_fetch,
        box.name,
        "PUT",
        {"content": "mine\n", "format": "text", "last_modified": saved["mtime"]},
        path="/etc/hostname",
    )
    assert code == 409 and refused["error"] == "file_changed", refused
    assert run(box, "cat /etc/hostname") == "changed-by-the-container\n"

    # Binary content round-trips as base64; a download gives the bytes.
    blob = bytes(range(256))
    code, _ = await files(
        jp_fetch,
        box.name,
        "PUT",
        {"content": base64.b64encode(blob).decode(), "format": "base64"},
        path="/data/blob.bin",
    )
    assert code == 200
    code, back = await files(jp_fetch, box.name, path="/data/blob.bin", content="1")
    assert back["format"] == "base64" and base64.b64decode(back["content"]) == blob
    code, raw = await files(jp_fetch, box.name, path="/data/blob.bin", raw="1")
    assert raw == blob

    # Folders, rename, delete.
    code, made = await files(jp_fetch, box.name, "PUT", {"type": "directory"}, path="/data/new")
    assert code == 201 and made["type"] == "directory"
    code, moved = await files(
        jp_fetch, box.name, "PATCH", {"path": "/data/new/b.txt"}, path="/data/a.txt"
    )
    assert code == 200 and moved["path"] == "/data/new/b.txt"
    assert run(box, "cat /data/new/b.txt") == "hi\n"
    code, _ = await files(jp_fetch, box.name, "DELETE", path="/data/new")
    assert code == 204
    assert run(box, "ls /data").split() == ["blob.bin", "sub"]

    # Bad paths and missing files: clear answers.
    code, missing = await files(jp_fetch, box.name, path="/no/such")
    assert code == 404 and "/no/such" in missing["message"]
    code, escaped = await files(jp_fetch, box.name, path="/../../etc/hostname", content="1")
    assert escaped["content"] == "changed-by-the-container\n"  # '..' stays in the container

    # Every change is audited.
    audit = json.loads(
        (await jp_fetch("api", "littlewings", "audit", params={"container": box.id})).body
    )
    actions = [(e["action"], e["result"]) for e in audit["entries"]][::-1]
    assert actions == [
        ("file_write", "ok"),
        ("file_write", "error"),
        ("file_write", "ok"),
        ("mkdir", "ok"),
        ("file_rename", "ok"),
        ("file_delete", "ok"),
    ]


async def test_stopped_containers_and_limits(jp_fetch: Any, make_container: Any) -> None:
    box = make_container(f"{SETUP}; dd if=/dev/zero of=/data/big bs=1M count=30; sleep 3600")
    run(
        box,
        "while [ ! -s /data/big ] || [ $(stat -c %s /data/big) -lt 31457280 ]; do sleep 0.1; done",
    )
    code, too_big = await files(jp_fetch, box.name, path="/data/big", content="1")
    assert code == 413 and "max_file_size" in too_big["message"], too_big
    big = base64.b64encode(b"x" * (21 * 1024 * 1024)).decode()
    code, refused = await files(
        jp_fetch, box.name, "PUT", {"content": big, "format": "base64"}, path="/data/up"
    )
    assert code == 413 and "max_file_size" in refused["message"]

    box.stop(timeout=0)
    code, listing = await files(jp_fetch, box.name, path="/data")
    assert code == 200 and {e["name"] for e in listing["entries"]} >= {"a.txt", "sub", "big"}
    code, text = await files(jp_fetch, box.name, path="/data/a.txt", content="1")
    assert text["content"] == "hi\n"
    code, _ = await files(
        jp_fetch, box.name, "PUT", {"content": "while stopped\n"}, path="/data/c.txt"
    )
    assert code == 200
    code, refused = await files(jp_fetch, box.name, "DELETE", path="/data/c.txt")
    assert code == 409 and "running" in refused["message"], refused
    box.start()
    assert run(box, "cat /data/c.txt") == "while stopped\n"


class TestReadOnlyFiles:
    @pytest.fixture
    def littlewings_config(self) -> dict[str, Any]:
        return {"read_only": True}

    async def test_read_only_refuses_writes(self, jp_fetch: Any, make_container: Any) -> None:
        box = make_container()
        code, _ = await files(jp_fetch, box.name, path="/etc/hostname", content="1")
        assert code == 200
        code, refused = await files(
            jp_fetch, box.name, "PUT", {"content": "x"}, path="/etc/hostname"
        )
        assert code == 403 and "read-only" in refused["message"]


def test_python_files(make_container: Any) -> None:
    box = make_container(f"{SETUP}; sleep 3600")
    run(box, "true")
    c = lw.container(box.name)
    assert "hostname" in {e["name"] for e in c.files.list("/etc")}
    entry = c.files.stat("/etc/hostname")
    c.files.write("/etc/hostname", "from-python\n", last_modified=entry["mtime"])
    assert c.files.read_text("/etc/hostname") == "from-python\n"
    with pytest.raises(lw.Conflict, match="changed"):
        c.files.write("/etc/hostname", "again\n", last_modified=entry["mtime"])
    c.files.mkdir("/tmp/p")
    c.files.write("/tmp/p/x.bin", b"\x00\xff")
    assert c.files.read("/tmp/p/x.bin") == b"\x00\xff"
    c.files.rename("/tmp/p/x.bin", "/tmp/p/y.bin")
    c.files.delete("/tmp/p")
    assert "p" not in {e["name"] for e in c.files.list("/tmp")}
    with pytest.raises(lw.Forbidden):
        lw.Client(read_only=True).container(box.name).files.write("/tmp/z", "x")


def test_normalize() -> None:
    assert normalize("etc/../../x") == "/x"
    assert normalize("/a//b/") == "/a/b"
    assert normalize("") == "/"
    with pytest.raises(lw.InvalidMessage):
        normalize("a\x00b")

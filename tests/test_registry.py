"""One engine registry for the server and the kernel: names, the default, what the browser may
see, and a Client whose widgets' manager shares its engines and stdin attachments.

No Docker is contacted: engines connect on first use.
"""

from __future__ import annotations

import pytest

from littlewings_jupyter.docker.engine import DockerEngine
from littlewings_jupyter.docker.engines import engine_specs
from littlewings_jupyter.errors import EngineNotFound
from littlewings_jupyter.kernel.client import Client
from littlewings_jupyter.session.engines import EngineRegistry
from littlewings_jupyter.session.manager import SessionManager

ENGINES = {
    "first": "unix:///nonexistent/first.sock",
    "second": "tcp://lw:secret@10.9.9.9:2376",
}


def registry() -> EngineRegistry:
    return EngineRegistry.from_specs(engine_specs(ENGINES, False, ""))


def test_engines_by_name_the_first_the_default():
    engines = registry()
    assert engines.names == ["first", "second"]
    assert engines.default is engines.engine(None) is engines.engine("") is engines.engine("first")
    assert [e.name for e in engines] == ["first", "second"]
    with pytest.raises(EngineNotFound) as caught:
        engines.engine("third")
    assert caught.value.message == (
        "No Docker engine 'third' here; the engines are: first, second."
    )


def test_what_the_browser_sees_of_an_engine_has_no_password():
    engines = registry()
    assert engines.describe("second") == {
        "name": "second",
        "url": "tcp://lw@10.9.9.9:2376",
        "source": "config",
        "tls": False,
    }
    given = EngineRegistry([(DockerEngine(base_url=None, name="local"), None)])
    assert given.describe("local")["source"] == "environment"
    assert given.spec("local") is None


def test_stdin_attachments_are_one_per_engine_and_kept():
    engines = registry()
    assert engines.stdin("second") is engines.stdin("second")
    assert engines.stdin() is engines.stdin("first") is not engines.stdin("second")
    assert engines.stdin("second").engine is engines.engine("second")


def test_a_manager_has_a_slot_per_engine_of_its_registry():
    engines = registry()
    manager = SessionManager(engines)
    assert list(manager.slots) == ["first", "second"]
    assert manager.slot("second").engine is engines.engine("second")
    assert manager.slot("second").stdin is engines.stdin("second")
    assert manager.slot("second").describe()["url"] == "tcp://lw@10.9.9.9:2376"
    with pytest.raises(EngineNotFound):
        manager.slot("third")


def test_a_clients_widgets_share_its_engines_and_stdin():
    """The manager a Client's widgets run on reads the Client's own registry: the same Docker
    connections, and the same stdin attachment for every engine (typing into a container
    from a cell and from a widget goes through one attachment, not two)."""
    client = Client(engines=ENGINES, use_docker_contexts=False)
    try:
        runtime = client.acquire_runtime()
        try:
            manager = runtime.manager
            assert manager.registry is client.registry
            assert manager.owns_engines is False
            for name in ("first", "second"):
                assert manager.slot(name).engine is client.engine_named(name)
                assert manager.slot(name).stdin is client.stdin_for(name)
        finally:
            client.release_runtime(runtime)
    finally:
        client.close()


def test_the_engine_kind_comes_from_its_version():
    """Podman answers /version with a "Podman Engine" component; dockerd with "Engine"
    (trimmed: dockerd's as it answers here; Podman's in the shape its compatibility API gives)."""
    from littlewings_jupyter.docker.models import engine_kind

    podman = {
        "Platform": {"Name": "linux/amd64/debian-12"},
        "Components": [{"Name": "Podman Engine", "Version": "4.3.1"}],
        "Version": "4.3.1",
        "ApiVersion": "1.41",
    }
    docker = {
        "Components": [
            {"Name": "Engine", "Version": "20.10.24+dfsg1"},
            {"Name": "containerd", "Version": "1.6.20"},
        ],
        "Version": "20.10.24+dfsg1",
    }
    assert engine_kind(podman) == "podman"
    assert engine_kind(docker) == "docker"
    assert engine_kind({}) == "docker"


def test_podman_sockets_are_offered_like_contexts(tmp_path, monkeypatch):
    """A Podman API socket where Podman puts it (rootful /run/podman, rootless under
    $XDG_RUNTIME_DIR) is an engine of its own when the CLI's contexts are used; a file that is
    not a socket, or no file, is not (issue 27)."""
    import socket

    from littlewings_jupyter.docker import engines as engines_module

    rootful = tmp_path / "run-podman" / "podman.sock"
    runtime = tmp_path / "user-runtime"
    (runtime / "podman").mkdir(parents=True)
    rootful.parent.mkdir()
    monkeypatch.setattr(engines_module, "PODMAN_ROOTFUL_SOCKET", str(rootful))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)

    def names() -> list[str]:
        return [spec.name for spec in engine_specs({}, True, "")]

    assert names() == ["default"]
    (runtime / "podman" / "podman.sock").write_text("not a socket")
    assert names() == ["default"]
    (runtime / "podman" / "podman.sock").unlink()
    with socket.socket(socket.AF_UNIX) as user_sock, socket.socket(socket.AF_UNIX) as root_sock:
        user_sock.bind(str(runtime / "podman" / "podman.sock"))
        assert names() == ["default", "podman-rootless"]
        root_sock.bind(str(rootful))
        specs = {spec.name: spec for spec in engine_specs({}, True, "")}
        assert list(specs) == ["default", "podman", "podman-rootless"]
        assert specs["podman"].url == f"unix://{rootful}"
        assert specs["podman"].source == "podman"
        # Configured engines only (no contexts): no Podman either, as no contexts.
        assert [s.name for s in engine_specs({"a": "unix:///x.sock"}, False, "")] == ["a"]


def test_the_environments_engine_is_not_listed_twice(tmp_path, monkeypatch):
    """DOCKER_HOST and ``docker_url`` naming one endpoint are one engine, not "local" and the
    CLI's "default" context (which both watched: every event came twice)."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/elsewhere.sock")
    names = [s.name for s in engine_specs({}, True, "unix:///run/elsewhere.sock")]
    assert names == ["local"]
    names = [s.name for s in engine_specs({}, True, "unix:///run/other.sock")]
    assert names == ["local", "default"]


def test_a_swarms_managers_as_one_engine_and_the_next_when_one_goes_away(tmp_path):
    gone = [f"unix://{tmp_path}/m{n}.sock" for n in (1, 2)]
    specs = engine_specs(
        {
            "prod": [*gone, "tcp://lw:secret@10.9.9.9:2376"],
            "empty": [],
            "bad": {"url": ["unix:///a.sock", "nonsense"]},
        },
        False,
        "",
    )
    prod, empty, bad = specs
    assert prod.url == gone[0] and prod.alternates == [gone[1], "tcp://lw:secret@10.9.9.9:2376"]
    assert empty.problem == "engine 'empty': give 1 to 16 managers' URLs."
    assert bad.problem and "'nonsense' is not a Docker endpoint" in bad.problem
    engines = EngineRegistry.from_specs(specs)
    shown = engines.describe("prod")
    assert shown["url"] == gone[0]
    assert shown["urls"] == [*gone, "tcp://lw@10.9.9.9:2376"]  # (no password)
    # The first two do not answer: a call tries each manager once, then says so; the engine
    # then reads the next manager.
    engine = engines.engine("prod")
    engine.timeout = 2
    tried = []

    def ping() -> None:
        tried.append(engine.base_url)
        engine.api.ping()

    from littlewings_jupyter.errors import EngineUnavailable

    with pytest.raises(EngineUnavailable):
        engine.call(ping)
    assert tried[:2] == gone and len(tried) == 3
    assert engines.describe("prod")["url"] == "tcp://lw@10.9.9.9:2376"

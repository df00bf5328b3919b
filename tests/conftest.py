"""Fixtures: a Jupyter server with LittleWings, a real Docker engine, labelled test containers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]

IMAGE = "littlewings/busybox:latest"
TEST_LABEL = "littlewings.test"


# The engines the engine-neutral suites run on: a test marked ``both_engines`` (and ``docker``)
# runs once on each, its ids ending ``[docker]`` and ``[podman]``; ``-m "not podman"`` leaves
# Podman's runs out. Docker is the environment's engine; Podman is the API service that
# `make test` starts (scripts/podman-up.sh), or the one LITTLEWINGS_PODMAN_URL names.
ENGINE_KINDS = ("docker", "podman")
PODMAN_URL = os.environ.get("LITTLEWINGS_PODMAN_URL", "unix:///run/littlewings/podman.sock")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marked = metafunc.definition.get_closest_marker
    if "engine_kind" in metafunc.fixturenames and marked("both_engines") and marked("docker"):
        metafunc.parametrize("engine_kind", ENGINE_KINDS, indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("engine_kind") == "podman":
            item.add_marker(pytest.mark.podman)


@pytest.fixture
def engine_kind(request: pytest.FixtureRequest) -> str:
    """The engine this test runs on: ``docker`` unless the test is marked ``both_engines``."""
    return str(getattr(request, "param", "docker"))


@pytest.fixture
def engine_url(engine_kind: str) -> str | None:
    """The URL of the test's engine (None: the environment's Docker engine)."""
    return None if engine_kind == "docker" else PODMAN_URL


@pytest.fixture(autouse=True)
def _engine_environment(engine_kind: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Podman run sees Podman as the environment's engine (DOCKER_HOST), as do the kernels
    and servers it starts and the module-level Python API (``lw.container``)."""
    if engine_kind == "docker":
        yield
        return
    from littlewings_jupyter.kernel import client as kernel_client

    monkeypatch.setenv("DOCKER_HOST", PODMAN_URL)
    _swap_default_client(kernel_client, None)
    yield
    _swap_default_client(kernel_client, None)


def _swap_default_client(module: Any, client: Any) -> None:
    with module._default_lock:
        previous, module._default_client = module._default_client, client
    if previous is not None:
        previous.close()


@pytest.fixture
def podman_healthcheck() -> Any:
    """``podman_healthcheck(container)``: run a container's health check now, through Podman's
    own API, as Podman's systemd timer would (there is no systemd on these hosts)."""

    def run(container: Any) -> None:
        api = container.client.api
        url = f"{api.base_url}/v4.0.0/libpod/containers/{container.id}/healthcheck"
        response = api._get(url)
        assert response.status_code == 200, response.text

    return run


@pytest.fixture
def littlewings_config() -> dict[str, Any]:
    """Overrides of ``c.LittleWings`` for one test (tests change it by overriding the fixture)."""
    return {"batch_interval": 0.01}


@pytest.fixture
def jp_server_config(littlewings_config: dict[str, Any], engine_url: str | None) -> dict[str, Any]:
    """Enable the extension in the pytest-jupyter server, its default engine the test's."""
    config = dict(littlewings_config)
    if engine_url and not config.get("engines") and not config.get("docker_url"):
        config["docker_url"] = engine_url
    return {
        "ServerApp": {"jpserver_extensions": {"littlewings_jupyter": True}},
        "LittleWings": config,
    }


class _EngineClients:
    """docker-py clients of the test engines, made on first use (Podman's only when asked)."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}

    def get(self, kind: str) -> Any:
        if kind not in self.clients:
            import docker

            try:
                if kind == "docker":
                    client = docker.from_env()
                else:
                    client = docker.DockerClient(base_url=PODMAN_URL, timeout=60)
                client.ping()
            except Exception as exc:  # pragma: no cover - a set-up problem, said clearly
                start = "scripts/docker-up.sh" if kind == "docker" else "scripts/podman-up.sh"
                pytest.fail(
                    f"No {kind} engine answers ({exc}); run `bash {start}` first"
                    + ("" if kind == "docker" else ' or leave Podman out with -m "not podman"')
                    + "."
                )
            self.clients[kind] = client
        return self.clients[kind]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


@pytest.fixture(scope="session")
def engine_clients() -> Iterator[_EngineClients]:
    clients = _EngineClients()
    yield clients
    clients.close()


@pytest.fixture
def docker_client(engine_clients: _EngineClients, engine_kind: str) -> Any:
    """A docker-py client to the engine the test runs against (Docker, or Podman's compatible
    API for a ``both_engines`` test's Podman run)."""
    return engine_clients.get(engine_kind)


class ContainerFactory:
    """Creates labelled containers and force-removes every one of them afterwards."""

    def __init__(self, client: Any, run_id: str) -> None:
        self.client = client
        self.run_id = run_id
        self.created: list[Any] = []

    def __call__(
        self,
        script: str | None = None,
        *,
        command: list[str] | None = None,
        start: bool = True,
        name: str | None = None,
        labels: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A container running ``sh -c script`` (or ``command``), created then started."""
        if command is None:
            command = ["sh", "-c", script or "sleep 3600"]
        container = self.client.containers.create(
            IMAGE,
            command,
            name=name or f"lwtest-{self.run_id}-{len(self.created)}",
            labels={TEST_LABEL: "1", "littlewings.run": self.run_id, **(labels or {})},
            **{"network_mode": "none", **kwargs},
        )
        self.created.append(container)
        if start:
            container.start()
            container.reload()
        return container

    def cleanup(self) -> None:
        """Force-remove what this factory created (and only that)."""
        for container in self.created:
            with contextlib.suppress(Exception):
                container.remove(force=True)


# Podman's own API (docker-py knows no pods).
LIBPOD = "/v4.0.0/libpod"


class PodFactory:
    """Makes pods and containers in them through Podman's own API; removes all of them."""

    def __init__(self, client: Any) -> None:
        self.api = client.api
        self.run_id = uuid.uuid4().hex[:8]
        self.pods: list[str] = []

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.api._post_json(f"{self.api.base_url}{LIBPOD}{path}", data=body or {})
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def pod(self, name: str | None = None) -> str:
        """A new pod (with its infra container); its name."""
        name = name or f"lwpod{self.run_id}{len(self.pods)}"
        self._post("/pods/create", {"name": name, "labels": {TEST_LABEL: "1"}})
        self.pods.append(name)
        return name

    def container(self, pod: str, script: str, name: str) -> str:
        """A running container of ``pod`` printing what ``sh -c script`` prints; its id."""
        created = self._post(
            "/containers/create",
            {
                "name": name,
                "image": IMAGE,
                "command": ["sh", "-c", script],
                "pod": pod,
                "labels": {TEST_LABEL: "1", "littlewings.run": self.run_id},
            },
        )
        self._post(f"/containers/{created['Id']}/start")
        return str(created["Id"])

    def cleanup(self) -> None:
        for name in self.pods:
            # Killed first: a forced removal would wait 10 s for each `sh` to heed SIGTERM.
            with contextlib.suppress(Exception):
                self.api._post(f"{self.api.base_url}{LIBPOD}/pods/{name}/kill")
            with contextlib.suppress(Exception):
                self.api._delete(f"{self.api.base_url}{LIBPOD}/pods/{name}?force=true")


@pytest.fixture
def pods(engine_clients: _EngineClients) -> Iterator[PodFactory]:
    """Make Podman pods and containers in them (on the Podman service, whichever engine the
    test runs on); all are removed when the test ends."""
    factory = PodFactory(engine_clients.get("podman"))
    yield factory
    factory.cleanup()


class SwarmCluster:
    """The three-node Swarm of scripts/swarm-up.sh (all managers): the sockets of its nodes."""

    def __init__(self, sockets: list[str]) -> None:
        self.sockets = sockets

    def client(self, node: int = 0) -> Any:
        import docker

        return docker.DockerClient(base_url=f"unix://{self.sockets[node]}", timeout=60)


@pytest.fixture(scope="session")
def swarm_cluster() -> SwarmCluster:
    """Start (or find) the three-node Swarm; it stays up for later runs (swarm-up.sh down)."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        ["bash", os.path.join(root, "scripts", "swarm-up.sh")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return SwarmCluster([line for line in done.stdout.split() if line.endswith(".sock")])


# A service's tasks print this: "slot 2 line 7" (its slot, a line number every 0.5 s).
SLOT_TICKER = 'i=0; while true; do i=$((i+1)); echo "slot $SLOT line $i"; sleep 0.5; done'


@pytest.fixture
def spread(swarm_cluster: SwarmCluster) -> Iterator[Any]:
    """A service of three tasks on the three-node Swarm, one on each node, each printing
    :data:`SLOT_TICKER`; removed afterwards."""
    import docker.types

    client = swarm_cluster.client()
    image = client.images.get(IMAGE).id  # (no registry: each node has the image by its id)
    service = client.services.create(
        image,
        ["sh", "-c", SLOT_TICKER],
        name=f"lwspread{uuid.uuid4().hex[:6]}",
        env=["SLOT={{.Task.Slot}}"],
        labels={TEST_LABEL: "1"},
        container_labels={TEST_LABEL: "1"},
        mode=docker.types.ServiceMode("replicated", replicas=3),
        maxreplicas=1,  # at most one task of it per node: one on each
    )
    deadline = time.monotonic() + 60
    while sum(1 for t in service.tasks() if t["Status"]["State"] == "running") < 3:
        assert time.monotonic() < deadline, service.tasks()
        time.sleep(0.3)
    yield service
    service.remove()
    client.close()


@pytest.fixture(scope="session")
def podman_url() -> str:
    """The Podman API service the tests use (LITTLEWINGS_PODMAN_URL, else make test's)."""
    return PODMAN_URL


@pytest.fixture
def make_container(docker_client: Any) -> Iterator[ContainerFactory]:
    """Make test containers; all are removed when the test ends."""
    factory = ContainerFactory(docker_client, uuid.uuid4().hex[:8])
    yield factory
    factory.cleanup()


class Client:
    """A WebSocket client speaking the LittleWings protocol, with helpers to wait for frames."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.received: list[dict[str, Any]] = []
        self._cursor = 0

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        """Send a frame (dicts as JSON text)."""
        if isinstance(frame, dict):
            await self.conn.write_message(json.dumps(frame))
        else:
            await self.conn.write_message(frame, binary=isinstance(frame, bytes))

    async def recv(self, timeout: float = 10) -> dict[str, Any] | None:
        """The next frame, or None when the socket closed."""
        raw = await asyncio.wait_for(self.conn.read_message(), timeout)
        if raw is None:
            return None
        frame = json.loads(raw)
        self.received.append(frame)
        return frame

    def mark(self) -> int:
        """A position in the frames received so far, for :meth:`until`'s ``since``."""
        return len(self.received)

    async def until(
        self, predicate: Any, timeout: float = 10, since: int | None = None
    ) -> dict[str, Any]:
        """Read frames until one matches ``predicate`` (a type name or a callable).

        With ``since`` (a :meth:`mark`), frames already received after that mark count too.
        """
        if isinstance(predicate, str):
            kind = predicate
            predicate = lambda f: f.get("type") == kind  # noqa: E731
        if since is not None:
            for frame in self.received[since:]:
                if predicate(frame):
                    return frame
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; received: {self.received[-10:]}")
            try:
                frame = await self.recv(left)
            except asyncio.TimeoutError:
                raise AssertionError(f"timed out; received: {self.received[-10:]}") from None
            if frame is None:
                raise AssertionError(
                    f"socket closed ({self.conn.close_code} {self.conn.close_reason}); "
                    f"received: {self.received[-10:]}"
                )
            if predicate(frame):
                return frame

    async def request(
        self, frame: dict[str, Any], kind: str, timeout: float = 10
    ) -> dict[str, Any]:
        """Send ``frame`` with a fresh id and wait for the reply of ``kind`` (or an error) to it."""
        frame = {**frame, "id": frame.get("id", uuid.uuid4().hex[:8])}
        await self.send(frame)
        return await self.until(
            lambda f: f.get("id") == frame["id"] and f.get("type") in (kind, "error"), timeout
        )

    async def log_text(self, until_text: str, timeout: float = 10) -> str:
        """Collect log data until ``until_text`` appears in it."""
        seen = "".join(f["data"] for f in self.received if f.get("type") == "log")
        deadline = time.monotonic() + timeout
        while until_text not in seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{until_text!r} never arrived; logs so far: {seen[-500:]!r}")
            frame = await self.recv(left)
            if frame is None:
                raise AssertionError("socket closed while waiting for logs")
            if frame.get("type") == "log":
                seen += frame["data"]
        return seen

    def logs(self, stream: str | None = None) -> str:
        """Every log line received so far, joined."""
        return "".join(
            f["data"]
            for f in self.received
            if f.get("type") == "log" and (stream is None or f["stream"] == stream)
        )

    def close(self) -> None:
        """Close the socket."""
        self.conn.close()


@pytest.fixture
def lw_client(jp_ws_fetch: Any) -> Any:
    """Open a LittleWings socket and read its hello: ``client = await lw_client()``."""
    clients: list[Client] = []

    async def open_client(**kwargs: Any) -> Client:
        conn = await jp_ws_fetch("api", "littlewings", "ws", **kwargs)
        client = Client(conn)
        hello = await client.until("hello")
        assert hello["protocol"] == 1
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def post_power(jp_fetch: Any) -> Any:
    """``await post_power(name_or_id, action)``: POST api/littlewings/containers/<id>/power."""

    async def post(container: str, action: str) -> Any:
        return await jp_fetch(
            "api",
            "littlewings",
            "containers",
            container,
            "power",
            method="POST",
            body=json.dumps({"action": action}),
        )

    return post


# ---- a second real Docker engine (tests of several engines) ---------------------------------


class SecondEngine:
    """A second dockerd on this machine: its own socket, data-root, exec-root, pidfile and bridge
    (never ``--bridge=none`` beside another daemon: it deletes docker0), and a TCP endpoint with
    mutual TLS from certificates made here with openssl. The test image is copied into it."""

    BRIDGE = "lwbr2"
    BIP = "172.30.99.1/24"

    def __init__(self) -> None:
        import tempfile

        self.dir = tempfile.mkdtemp(prefix="lw-e2-", dir="/tmp")
        self.socket = f"{self.dir}/docker.sock"
        self.port = _free_port()
        self.tcp = f"tcp://127.0.0.1:{self.port}"
        self.process: Any = None
        self.certs = self._make_certs()

    # -- certificates ---------------------------------------------------------------------------

    def _openssl(self, *args: str) -> None:
        import subprocess

        subprocess.run(["openssl", *args], cwd=self.dir, check=True, capture_output=True)

    def _signed(self, ca: str, name: str, cn: str, usage: str, san: str = "") -> tuple[str, str]:
        key, csr, cert = f"{name}-key.pem", f"{name}.csr", f"{name}-cert.pem"
        self._openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key,
            "-out",
            csr,
            "-subj",
            f"/CN={cn}",
        )
        ext = f"{name}.ext"
        with open(f"{self.dir}/{ext}", "w") as out:
            out.write(f"extendedKeyUsage={usage}\n" + (f"subjectAltName={san}\n" if san else ""))
        self._openssl(
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            f"{ca}.pem",
            "-CAkey",
            f"{ca}-key.pem",
            "-CAcreateserial",
            "-out",
            cert,
            "-days",
            "2",
            "-extfile",
            ext,
        )
        return f"{self.dir}/{cert}", f"{self.dir}/{key}"

    def _make_certs(self) -> dict[str, str]:
        for ca in ("ca", "other-ca"):
            self._openssl(
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                f"{ca}-key.pem",
                "-out",
                f"{ca}.pem",
                "-days",
                "2",
                "-subj",
                f"/CN=littlewings test {ca}",
            )
        server_cert, server_key = self._signed(
            "ca", "server", "localhost", "serverAuth", "IP:127.0.0.1,DNS:localhost"
        )
        client_cert, client_key = self._signed("ca", "client", "client", "clientAuth")
        stranger_cert, stranger_key = self._signed("other-ca", "stranger", "x", "clientAuth")
        return {
            "ca": f"{self.dir}/ca.pem",
            "other_ca": f"{self.dir}/other-ca.pem",
            "server_cert": server_cert,
            "server_key": server_key,
            "cert": client_cert,
            "key": client_key,
            "stranger_cert": stranger_cert,
            "stranger_key": stranger_key,
        }

    def tls(self, **overrides: str) -> dict[str, str]:
        """The client side of the TLS endpoint, as c.LittleWings.engines takes it."""
        return {
            "ca": self.certs["ca"],
            "cert": self.certs["cert"],
            "key": self.certs["key"],
            **overrides,
        }

    # -- the daemon -----------------------------------------------------------------------------

    def start(self) -> None:
        import subprocess

        if subprocess.run(["ip", "link", "show", self.BRIDGE], capture_output=True).returncode:
            subprocess.run(["ip", "link", "add", self.BRIDGE, "type", "bridge"], check=True)
            subprocess.run(["ip", "addr", "add", self.BIP, "dev", self.BRIDGE], check=True)
        subprocess.run(["ip", "link", "set", self.BRIDGE, "up"], check=True)
        log = open(f"{self.dir}/dockerd.log", "ab")  # noqa: SIM115 - the daemon keeps it
        self.process = subprocess.Popen(
            [
                "dockerd",
                f"--host=unix://{self.socket}",
                f"--host={self.tcp}",
                "--tlsverify",
                f"--tlscacert={self.certs['ca']}",
                f"--tlscert={self.certs['server_cert']}",
                f"--tlskey={self.certs['server_key']}",
                f"--data-root={self.dir}/data",
                f"--exec-root={self.dir}/exec",
                f"--pidfile={self.dir}/docker.pid",
                f"--bridge={self.BRIDGE}",
                "--iptables=false",
                "--ip-masq=false",
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        self.wait_until(True)

    def client(self) -> Any:
        import docker

        return docker.DockerClient(base_url=f"unix://{self.socket}", timeout=30)

    def wait_until(self, up: bool, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                client = self.client()
                client.ping()
                client.close()
                if up:
                    return
            except Exception:
                if not up:
                    return
            time.sleep(0.2)
        raise RuntimeError(
            f"the second dockerd did not come {'up' if up else 'down'}: see {self.dir}/dockerd.log"
        )

    def stop(self) -> None:
        import signal as _signal

        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(_signal.SIGTERM)
            try:
                self.process.wait(20)
            except Exception:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def init_swarm(self) -> None:
        """Make the second engine a single-node Swarm manager (once)."""
        import subprocess

        client = self.client()
        try:
            if client.info()["Swarm"]["LocalNodeState"] != "active":
                # A port of its own (not Swarm's 2377): another test run's engine on this
                # machine may hold that one.
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", 0))
                    port = probe.getsockname()[1]
                address = f"127.0.0.1:{port}"
                done = subprocess.run(
                    [
                        "docker",
                        "-H",
                        f"unix://{self.socket}",
                        "swarm",
                        "init",
                        "--listen-addr",
                        address,
                        "--advertise-addr",
                        address,
                    ],
                    check=False,
                    capture_output=True,
                    text=True,
                )
                if done.returncode != 0:
                    raise RuntimeError(f"docker swarm init failed: {done.stderr.strip()}")
        finally:
            client.close()

    def load_image(self) -> None:
        import subprocess

        save = subprocess.Popen(["docker", "save", IMAGE], stdout=subprocess.PIPE)
        subprocess.run(
            ["docker", "-H", f"unix://{self.socket}", "load", "-q"],
            stdin=save.stdout,
            check=True,
            capture_output=True,
        )
        save.wait(60)

    def cleanup(self) -> None:
        import shutil
        import subprocess

        with contextlib.suppress(Exception):
            client = self.client()
            for service in client.services.list(filters={"label": TEST_LABEL}):
                service.remove()
            for c in client.containers.list(all=True, filters={"label": TEST_LABEL}):
                c.remove(force=True)
            client.close()
        self.stop()
        subprocess.run(["umount", "-R", f"{self.dir}/exec"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def second_engine() -> Iterator[SecondEngine]:
    """A second real dockerd (socket + TLS TCP endpoint) with the test image; stopped at the end."""
    engine = SecondEngine()
    try:
        engine.start()
        engine.load_image()
        yield engine
    finally:
        engine.cleanup()

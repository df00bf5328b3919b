"""REST endpoints, and Jupyter's auth on every endpoint (token, cookie-less, origin, Authorizer)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

pytestmark = pytest.mark.docker

REST = [
    ("GET", ("status",)),
    ("GET", ("containers",)),
    ("GET", ("containers", "{name}")),
    ("GET", ("containers", "{name}", "logs")),
    ("POST", ("containers", "{name}", "power")),
]


def body_for(method: str) -> Any:
    return json.dumps({"action": "pause"}) if method == "POST" else None


async def fetch(
    jp_fetch: Any, method: str, parts: tuple[str, ...], name: str, **kwargs: Any
) -> Any:
    path = [p.format(name=name) for p in parts]
    return await jp_fetch(
        "api", "littlewings", *path, method=method, body=body_for(method), **kwargs
    )


AUTH_CASES = [
    "none",
    "bad-token",
    "header-token",
    "query-token",
    "login-cookie",
    "cookie-foreign-origin",
]


async def login_cookie(jp_fetch: Any, token: str) -> str:
    """The login cookie a browser gets after opening Jupyter with its token."""
    response = await jp_fetch(
        "api", "littlewings", "status", params={"token": token}, headers={"Authorization": ""}
    )
    cookies = [c.split(";")[0] for c in response.headers.get_list("Set-Cookie")]
    login = [c for c in cookies if c.startswith("username-")]
    assert login, cookies
    return login[0]


async def auth_kwargs(jp_fetch: Any, token: str, auth: str, method: str) -> dict[str, Any]:
    """Request options for one row of the auth matrix."""
    if auth == "none":
        return {"headers": {"Authorization": ""}}
    if auth == "bad-token":
        return {"headers": {"Authorization": "token nope"}}
    if auth == "header-token":
        return {}
    if auth == "query-token":
        return {"headers": {"Authorization": ""}, "params": {"token": token}}
    headers = {"Authorization": "", "Cookie": await login_cookie(jp_fetch, token)}
    if method == "POST":  # a browser's POST also carries Jupyter's XSRF token
        headers["Cookie"] += "; _xsrf=lw-test-xsrf"
        headers["X-XSRFToken"] = "lw-test-xsrf"
    if auth == "cookie-foreign-origin":
        headers["Origin"] = "http://evil.example"
    return {"headers": headers}


@pytest.mark.parametrize(("method", "parts"), REST)
@pytest.mark.parametrize("auth", AUTH_CASES)
async def test_rest_auth_matrix(jp_fetch, jp_serverapp, make_container, method, parts, auth):
    container = make_container()
    kwargs = await auth_kwargs(jp_fetch, jp_serverapp.identity_provider.token, auth, method)
    if auth in ("none", "bad-token", "cookie-foreign-origin"):
        with pytest.raises(HTTPClientError) as info:
            await fetch(jp_fetch, method, parts, container.name, **kwargs)
        # Jupyter answers a cross-origin API call with 404, hiding the endpoint.
        assert info.value.code == (404 if auth == "cookie-foreign-origin" else 403)
        container.reload()
        assert container.status == "running"  # the POST did not pause it
        return
    response = await fetch(jp_fetch, method, parts, container.name, **kwargs)
    assert response.code == 200


@pytest.mark.parametrize("auth", AUTH_CASES)
async def test_websocket_auth_matrix(
    jp_ws_fetch, jp_fetch, jp_serverapp, jp_http_port, jp_base_url, http_server_client, auth
):
    token = jp_serverapp.identity_provider.token
    if auth == "query-token":
        url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}api/littlewings/ws?token={token}"
        conn = await websocket_connect(url)
        assert json.loads(await conn.read_message())["type"] == "hello"
        conn.close()
        return
    kwargs = await auth_kwargs(jp_fetch, token, auth, "GET")
    if auth in ("login-cookie", "cookie-foreign-origin"):
        # The cookie is named after the host jp_fetch used; connect to that same host.
        host = kwargs["headers"]["Cookie"].split("=")[0].removeprefix("username-")
        host = host.rsplit("-", 1)[0].replace("-", ".")
        url = f"ws://{host}:{jp_http_port}{jp_base_url}api/littlewings/ws"
        request = HTTPRequest(url, headers=kwargs["headers"])
        if auth == "cookie-foreign-origin":
            with pytest.raises(HTTPClientError) as info:
                await websocket_connect(request)
            assert info.value.code == 403
            return
        conn = await websocket_connect(request)
        assert json.loads(await conn.read_message())["type"] == "hello"
        conn.close()
        return
    if auth == "header-token":
        conn = await jp_ws_fetch("api", "littlewings", "ws", **kwargs)
        assert json.loads(await conn.read_message())["type"] == "hello"
        conn.close()
        return
    with pytest.raises(HTTPClientError) as info:
        await jp_ws_fetch("api", "littlewings", "ws", **kwargs)
    assert info.value.code == 403


async def test_the_endpoints_live_under_base_url(jp_fetch, jp_base_url):
    assert jp_base_url != "/"  # pytest-jupyter serves under a prefix; jp_fetch adds it
    response = await jp_fetch("api", "littlewings", "status")
    assert response.request.url.split("?")[0].endswith(f"{jp_base_url}api/littlewings/status")


async def test_status(jp_fetch):
    status = json.loads((await jp_fetch("api", "littlewings", "status")).body)
    assert status["engine"]["available"] is True
    assert status["engine"]["version"]
    assert status["permissions"] == {"read": True, "write": True}
    assert status["protocol"] == 1


async def test_published_ports_are_listed_and_jupyter_server_proxy_is_not_assumed(
    jp_fetch, make_container
):
    # A real web server (busybox httpd) published on a free port of the host's loopback.
    web = make_container(
        "echo hi-from-httpd > /tmp/index.html; exec httpd -f -p 80 -h /tmp",
        network_mode="bridge",
        ports={"80/tcp": ("127.0.0.1", None)},
    )
    host_port = int(web.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"])
    listing = json.loads((await jp_fetch("api", "littlewings", "containers")).body)
    listed = next(c for c in listing["containers"] if c["id"] == web.id)
    expected = [
        {"container_port": 80, "host_port": host_port, "protocol": "tcp", "host_ip": "127.0.0.1"}
    ]
    assert listed["ports"] == expected
    detail = json.loads((await jp_fetch("api", "littlewings", "containers", web.name)).body)
    assert detail["ports"] == expected
    # Without jupyter-server-proxy enabled the server says so (the consoles link the host port).
    status = json.loads((await jp_fetch("api", "littlewings", "status")).body)
    assert status["port_proxy"] is None


@pytest.mark.parametrize(
    "jp_server_config",
    [
        {
            "ServerApp": {
                "jpserver_extensions": {"littlewings_jupyter": True, "jupyter_server_proxy": True}
            },
            "LittleWings": {"batch_interval": 0.01},
        }
    ],
)
async def test_a_published_port_through_jupyter_server_proxy(jp_fetch, jp_base_url, make_container):
    """With jupyter-server-proxy enabled, the status names its prefix, and a published port is
    reached through it (the link a console shows for the port)."""
    status = json.loads((await jp_fetch("api", "littlewings", "status")).body)
    assert status["port_proxy"] == f"{jp_base_url}proxy/"
    web = make_container(
        "echo hi-from-httpd > /tmp/index.html; exec httpd -f -p 80 -h /tmp",
        network_mode="bridge",
        ports={"80/tcp": ("127.0.0.1", None)},
    )
    host_port = web.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
    deadline = time.monotonic() + 20
    while True:
        try:
            response = await jp_fetch("proxy", host_port, "index.html")
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
    assert response.body.decode().strip() == "hi-from-httpd"


async def test_list_and_describe(jp_fetch, make_container):
    container = make_container(labels={"com.docker.compose.project": "shop"})
    stopped = make_container(start=False)
    listing = json.loads((await jp_fetch("api", "littlewings", "containers")).body)
    by_id = {c["id"]: c for c in listing["containers"]}
    assert by_id[container.id]["state"] == "running"
    assert by_id[container.id]["compose_project"] == "shop"
    assert by_id[stopped.id]["state"] == "created"
    running = json.loads(
        (await jp_fetch("api", "littlewings", "containers", params={"all": "false"})).body
    )
    assert stopped.id not in [c["id"] for c in running["containers"]]
    detail = json.loads((await jp_fetch("api", "littlewings", "containers", container.name)).body)
    assert detail["id"] == container.id and detail["started_at"]
    assert detail["image"] == "littlewings/busybox:latest"


async def test_logs_download(jp_fetch, make_container):
    container = make_container(
        "for i in 1 2 3 4; do echo row $i; done; sleep 0.2; echo bad >&2; sleep 3600"
    )
    container.reload()
    import asyncio

    await asyncio.sleep(0.5)
    response = await jp_fetch(
        "api", "littlewings", "containers", container.name, "logs", params={"tail": "2"}
    )
    assert response.body.decode() == "row 4\nbad\n"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert f'filename="{container.name}.log"' in response.headers["Content-Disposition"]
    stamped = await jp_fetch(
        "api",
        "littlewings",
        "containers",
        container.name,
        "logs",
        params={"timestamps": "true", "stream": "stdout"},
    )
    lines = stamped.body.decode().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["row 1", "row 2", "row 3", "row 4"]


async def test_power_over_rest(post_power, make_container):
    container = make_container()
    reply = json.loads((await post_power(container.name, "stop")).body)
    assert reply["ok"] and reply["state"] == "exited"
    container.reload()
    assert container.status == "exited"


@pytest.mark.parametrize(
    ("parts", "method", "body", "code", "error"),
    [
        (("containers", "no-such-thing"), "GET", None, 404, "not_found"),
        (("containers", "no-such-thing", "logs"), "GET", None, 404, "not_found"),
        (("containers", "{name}", "logs"), "GET", "tail=x", 400, "invalid_message"),
        (("containers", "{name}", "power"), "POST", '{"action": "fly"}', 400, "invalid_message"),
        (("containers", "{name}", "power"), "POST", "{not json", 400, "invalid_json"),
        (("containers", "{name}", "power"), "POST", '{"action": "unpause"}', 409, "conflict"),
    ],
)
async def test_rest_errors_are_json(jp_fetch, make_container, parts, method, body, code, error):
    container = make_container()
    path = [p.format(name=container.name) for p in parts]
    kwargs: dict[str, Any] = {"method": method}
    if method == "POST":
        kwargs["body"] = body
    elif body:
        kwargs["params"] = dict([body.split("=")])
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("api", "littlewings", *path, **kwargs)
    assert info.value.code == code
    payload = json.loads(info.value.response.body)
    assert payload["error"] == error and payload["message"]


class DenyWrite(Authorizer):
    """An Authorizer that lets users read containers but never change them."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return not (resource == "littlewings" and action == "write")


class TestAuthorizer:
    @pytest.fixture
    def jp_server_config(self, littlewings_config):
        return {
            "ServerApp": {
                "jpserver_extensions": {"littlewings_jupyter": True},
                "authorizer_class": DenyWrite,
            },
            "LittleWings": littlewings_config,
        }

    async def test_read_allowed_write_refused(
        self, lw_client, jp_fetch, post_power, make_container
    ):
        container = make_container("echo visible; sleep 3600")
        client = await lw_client()
        assert client.received[0]["permissions"] == {"read": True, "write": False}
        await client.request({"type": "connect", "server_id": container.name}, "connected")
        await client.log_text("visible")
        for frame in (
            {"type": "command", "command": "ls"},
            {"type": "command", "command": "ls", "via": "stdin"},
            {"type": "power", "action": "stop"},
        ):
            error = await client.request(frame, "never")
            assert error["code"] == "forbidden" and "Authorizer" in error["message"]
        with pytest.raises(HTTPClientError) as info:
            await post_power(container.name, "stop")
        assert info.value.code == 403
        container.reload()
        assert container.status == "running"
        status = json.loads((await jp_fetch("api", "littlewings", "status")).body)
        assert status["permissions"] == {"read": True, "write": False}

"""Hypothesis throws random and mutated frames at the parser and at a live socket: every frame
gets a well-formed reply or a clean close, and the server keeps serving."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import websocket
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from littlewings_jupyter.docker.framing import FrameDemuxer
from littlewings_jupyter.errors import LittleWingsError
from littlewings_jupyter.parsing.lines import LineAssembler
from littlewings_jupyter.session import protocol

TYPES = ["connect", "command", "power", "stats", "events", "heartbeat", "disconnect", "list"]
FIELDS = ["type", "id", "server_id", "command", "argv", "via", "action", "enabled", "tail",
          "since", "timestamps", "follow", "cursor", "stats"]  # fmt: skip

edge_text = st.one_of(
    st.text(),
    st.sampled_from(["", " ", "\x00", "\ud7ff", "\ufeff", "é" * 50, "☃", "../..", "all", "a\nb"]),
    st.text(alphabet=st.characters(min_codepoint=0x10000), max_size=10),
)
edge_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.sampled_from([0, -1, 2**53, 2**63, 1e308, -1e308, 0.5]),
)
json_scalars = st.one_of(st.none(), st.booleans(), edge_numbers, edge_text)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), edge_text), children, max_size=4),
    ),
    max_leaves=20,
)


@st.composite
def frames(draw: Any) -> str:
    """A frame: a valid-looking message with wrong shapes, deep nesting or plain garbage."""
    kind = draw(st.sampled_from(["shaped", "shaped", "shaped", "deep", "text", "json"]))
    if kind == "shaped":
        message = {"type": draw(st.one_of(st.sampled_from(TYPES), json_values))}
        for name in draw(st.lists(st.sampled_from(FIELDS), max_size=5)):
            message[name] = draw(json_values)
        return json.dumps(message)
    if kind == "deep":
        depth = draw(st.integers(min_value=1, max_value=5000))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        return opener * depth + "1" + closer * depth
    if kind == "text":
        return draw(st.text(max_size=200))
    return json.dumps(draw(json_values))


# -- the log line assembler: its fast path against the frame-by-frame one ----------------------

messages = st.lists(
    st.tuples(
        st.sampled_from([1, 2]),
        st.sampled_from(
            [b"2026-11-26T03:07:11.123456789Z ", b"2026-11-26T03:07:12.5Z ", b"", b"no-timestamp "]
        ),
        st.binary(max_size=40) | st.sampled_from([b"", b"\r", b"\xc3", b"\xa9 x", b"\x00"]),
        st.sampled_from([b"\n", b"\r\n", b""]),
    ),
    max_size=30,
)


@settings(max_examples=500, deadline=None)
@given(messages, st.lists(st.integers(min_value=1, max_value=200), max_size=10))
def test_line_assembler_fast_path_matches_frame_by_frame(msgs, cuts):
    """Whole timestamped lines take a fast path in ``feed``; for any mix of whole lines, pieces,
    CRLF, lines without timestamps and over-long lines, split anywhere between blocks, it must
    give what handing each frame on its own to the general path gives."""
    data = b"".join(
        struct.pack(">BxxxL", stream, len(ts + text + end)) + ts + text + end
        for stream, ts, text, end in msgs
    )
    reference = LineAssembler(max_line_bytes=16)
    expected: list[Any] = []
    for stream, payload in FrameDemuxer().feed(data):
        reference._message(stream, payload, expected)
    expected += reference.flush()

    assembler = LineAssembler(max_line_bytes=16)
    got: list[Any] = []
    pos = 0
    for cut in cuts:
        got += assembler.feed(data[pos : pos + cut])
        pos += cut
    got += assembler.feed(data[pos:]) + assembler.flush()
    assert got == expected


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_parser_answers_every_frame_with_a_message_or_our_error(raw):
    try:
        message = protocol.parse_message(protocol.decode_frame(raw))
    except LittleWingsError as exc:
        frame = exc.to_wire()
        assert frame["type"] == "error" and frame["code"] and frame["message"]
        json.dumps(frame)
    else:
        assert message.type in TYPES


# -- a live socket ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: Any) -> Iterator[str]:
    """A real `jupyter server` with LittleWings, in its own process."""
    root = tmp_path_factory.mktemp("fuzz-server")
    port, token = free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(root / "runtime")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--port={port}",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.open_browser=False",
            "--ServerApp.jpserver_extensions=littlewings_jupyter=True",
            "--LittleWings.command_rate=1000",
            "--LittleWings.command_burst=1000",
            "--allow-root",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"ws://127.0.0.1:{port}/api/littlewings/ws?token={token}"
    try:
        # A deadline, not a count of tries: on a loaded machine a server takes 20 s and more to
        # import and start, and each refused try returns at once.
        deadline = time.monotonic() + 90
        while True:
            try:
                websocket.create_connection(url, timeout=2).close()
                break
            except (OSError, websocket.WebSocketException):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("jupyter server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(20)


class LiveClient:
    """One socket, reopened after a clean close."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws = self._open()
        self.closes: list[int] = []

    def _open(self) -> websocket.WebSocket:
        ws = websocket.create_connection(self.url, timeout=20)
        assert json.loads(ws.recv())["type"] == "hello"
        return ws

    def exchange(self, raw: str) -> list[dict[str, Any]]:
        """Send ``raw``, then a heartbeat; every frame until its answer."""
        marker = uuid.uuid4().hex
        try:
            self.ws.send(raw)
            self.ws.send(json.dumps({"type": "heartbeat", "id": marker}))
            replies = []
            while True:
                text = self.ws.recv()
                reply = json.loads(text)
                assert isinstance(reply, dict) and isinstance(reply.get("type"), str), text
                if reply.get("id") == marker and reply["type"] == "heartbeat":
                    return replies
                replies.append(reply)
        except websocket.WebSocketConnectionClosedException:
            self.closes.append(self.ws.close_status if hasattr(self.ws, "close_status") else 0)
            self.ws = self._open()
            return []


@pytest.mark.docker
def test_live_socket_survives_random_frames(live_server):
    client = LiveClient(live_server)

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(frames())
    def check(raw: str) -> None:
        for reply in client.exchange(raw):
            if reply["type"] == "error":
                assert reply["code"] and reply["message"]

    check()
    # Still serving, and still answering properly.
    replies = client.exchange(json.dumps({"type": "connect"}))
    assert replies[-1]["code"] == "invalid_message"
    replies = client.exchange("[" * 100_000)
    assert replies[-1]["code"] == "invalid_json"

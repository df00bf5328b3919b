"""Unit tests of the pure logic: message parsing, line assembly, frames, limits, stats."""

from __future__ import annotations

import json
import struct

import pytest

from littlewings_jupyter.docker.framing import FrameDemuxer
from littlewings_jupyter.docker.models import (
    Visibility,
    check_power_action,
    summarize_inspected,
    summarize_listed,
)
from littlewings_jupyter.errors import (
    Conflict,
    InvalidJSON,
    InvalidMessage,
    UnknownType,
)
from littlewings_jupyter.parsing.lines import STDERR, STDOUT, Cursor, LineAssembler, Stream
from littlewings_jupyter.session import protocol
from littlewings_jupyter.session.frames import log_frames
from littlewings_jupyter.session.limits import TokenBucket
from littlewings_jupyter.session.protocol import parse_message
from littlewings_jupyter.streams.stats import compute_stats


def frame(stream: int, payload: bytes) -> bytes:
    """One frame of Docker's multiplexed stream."""
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def ts(n: int) -> bytes:
    return f"2026-11-26T03:07:{n:02d}.123456789Z".encode()


# -- parsing -----------------------------------------------------------------------------------


def test_seed_messages_parse_unchanged():
    connect = parse_message({"type": "connect", "server_id": "web"})
    assert isinstance(connect, protocol.Connect)
    assert (connect.server_id, connect.tail, connect.follow, connect.timestamps) == (
        "web",
        100,
        True,
        False,
    )
    command = parse_message({"type": "command", "command": "say hi"})
    assert isinstance(command, protocol.Command) and command.command == "say hi"
    assert parse_message({"type": "heartbeat"}).type == "heartbeat"


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        ({}, UnknownType, "string 'type'"),
        ({"type": 3}, UnknownType, "string 'type'"),
        ({"type": "dance"}, UnknownType, "Unknown message type 'dance'"),
        ({"type": "connect"}, InvalidMessage, "server_id"),
        ({"type": "connect", "server_id": ""}, InvalidMessage, "server_id"),
        ({"type": "connect", "server_id": 5}, InvalidMessage, "server_id"),
        ({"type": "connect", "server_id": "x" * 300}, InvalidMessage, "too long"),
        ({"type": "connect", "server_id": "a", "tail": -1}, InvalidMessage, "'tail'"),
        ({"type": "connect", "server_id": "a", "tail": True}, InvalidMessage, "'tail'"),
        ({"type": "connect", "server_id": "a", "tail": "lots"}, InvalidMessage, "'tail'"),
        ({"type": "connect", "server_id": "a", "timestamps": "yes"}, InvalidMessage, "timestamps"),
        ({"type": "connect", "server_id": "a", "since": "yesterday"}, InvalidMessage, "since"),
        ({"type": "connect", "server_id": "a", "since": 1e300}, InvalidMessage, "out of range"),
        ({"type": "connect", "server_id": "a", "cursor": "abc"}, InvalidMessage, "cursor"),
        ({"type": "command"}, InvalidMessage, "'command'"),
        ({"type": "command", "command": ""}, InvalidMessage, "empty"),
        ({"type": "command", "command": 5}, InvalidMessage, "'command' must be"),
        ({"type": "command", "command": "a\x00b"}, InvalidMessage, "NUL"),
        ({"type": "command", "command": "x" * 70000}, InvalidMessage, "longer"),
        ({"type": "command", "argv": []}, InvalidMessage, "'argv'"),
        ({"type": "command", "argv": ["ls", 3]}, InvalidMessage, "'argv'"),
        ({"type": "command", "command": "ls", "argv": ["ls"]}, InvalidMessage, "not both"),
        ({"type": "command", "command": "ls", "via": "pigeon"}, InvalidMessage, "'via'"),
        ({"type": "power"}, InvalidMessage, "'action'"),
        ({"type": "power", "action": "explode"}, InvalidMessage, "'action'"),
        ({"type": "stats", "enabled": "on"}, InvalidMessage, "'enabled'"),
        ({"type": "heartbeat", "id": {"a": 1}}, InvalidMessage, "'id'"),
        ({"type": "heartbeat", "id": "x" * 500}, InvalidMessage, "'id'"),
    ],
)
def test_bad_messages_get_clear_errors(data, error, words):
    with pytest.raises(error) as info:
        parse_message(data)
    assert words in info.value.message


@pytest.mark.parametrize("raw", ["", "{", "[1, 2]", '"text"', "null", b"\xff"])
def test_frames_that_are_not_objects(raw):
    with pytest.raises(InvalidJSON):
        protocol.decode_frame(raw)


def test_ids_echo_strings_and_integers_only():
    assert protocol.parse_id({"id": "a1"}) == "a1"
    assert protocol.parse_id({"id": 7}) == 7
    assert protocol.parse_id({"id": True}) is None
    assert protocol.parse_id({"id": 2**60}) is None


def test_connect_options():
    message = parse_message(
        {
            "type": "connect",
            "server_id": " web ",
            "tail": "all",
            "since": "2026-11-26T03:00:00Z",
            "timestamps": True,
            "cursor": "2026-11-26T03:07:11.5Z/2",
        }
    )
    assert message.server_id == "web"
    assert message.tail is None
    assert message.since == pytest.approx(1795662000.0)
    assert message.cursor == Cursor("2026-11-26T03:07:11.500000000Z", 2)


def test_cursor_round_trip_and_order():
    cursor = Cursor.parse("2026-11-26T03:07:11.123456789Z/3")
    assert str(cursor) == "2026-11-26T03:07:11.123456789Z/3"
    assert cursor.docker_since() == "1795662431.123456789"
    assert Cursor("2026-11-26T03:07:11.100000000Z", 9) < Cursor("2026-11-26T03:07:11.200000000Z")
    assert Cursor("2026-11-26T03:07:11.100000000Z", 1) < Cursor("2026-11-26T03:07:11.100000000Z", 2)


# -- Docker stream parsing ----------------------------------------------------------------------


def test_demuxer_handles_headers_split_across_blocks():
    data = frame(STDOUT, b"hello\n") + frame(STDERR, b"oops\n") + frame(STDOUT, b"bye\n")
    demuxer = FrameDemuxer()
    frames = []
    for i in range(len(data)):  # one byte at a time: the worst split there is
        frames += demuxer.feed(data[i : i + 1])
    assert frames == [(STDOUT, b"hello\n"), (STDERR, b"oops\n"), (STDOUT, b"bye\n")]


def test_lines_are_whole_and_keep_their_stream():
    assembler = LineAssembler()
    data = (
        frame(STDOUT, ts(1) + b" first\n")
        + frame(STDERR, ts(2) + b" an error\n")
        + frame(STDOUT, ts(3) + b" part one, ")  # a message without newline: a partial line
        + frame(STDOUT, ts(4) + b" part two\n")
    )
    lines = assembler.feed(data[:20]) + assembler.feed(data[20:])
    assert [(line.stream, line.text) for line in lines] == [
        (STDOUT, "first"),
        (STDERR, "an error"),
        (STDOUT, "part one, part two"),
    ]
    # A line made of pieces is placed at its last piece (the one a read from between its
    # pieces has too).
    assert lines[2].cursor == Cursor(ts(4).decode(), 0)


def test_utf8_split_between_messages_is_never_broken():
    text = "zażółć gęślą jaźń ☃\n".encode()
    assembler = LineAssembler()
    cut = text.index("☃".encode()) + 1  # inside the snowman
    lines = assembler.feed(frame(STDOUT, ts(1) + b" " + text[:cut]))
    lines += assembler.feed(frame(STDOUT, ts(2) + b" " + text[cut:]))
    assert [line.text for line in lines] == ["zażółć gęślą jaźń ☃"]


def test_invalid_utf8_and_binary_become_replacement_characters():
    assembler = LineAssembler()
    lines = assembler.feed(frame(STDOUT, ts(1) + b" \xff\xfe\x00bin\x80\n"))
    assert lines[0].text == "\ufffd\ufffd\x00bin\ufffd"
    json.dumps(lines[0].text)  # stays valid JSON


def test_over_long_line_arrives_in_partial_pieces_on_character_boundaries():
    assembler = LineAssembler(max_line_bytes=10)
    payload = ("é" * 12).encode() + b"\n"  # 24 bytes of two-byte characters
    lines = assembler.feed(frame(STDOUT, ts(1) + b" " + payload))
    assert "".join(line.text for line in lines) == "é" * 12
    assert [line.partial for line in lines] == [True, True, False]
    assert all("\ufffd" not in line.text for line in lines)


def test_equal_timestamps_get_increasing_ordinals():
    assembler = LineAssembler()
    lines = assembler.feed(frame(STDOUT, ts(1) + b" a\n") + frame(STDOUT, ts(1) + b" b\n"))
    assert [line.cursor.ordinal for line in lines] == [0, 1]


def test_unfinished_last_line_is_flushed_at_the_end():
    assembler = LineAssembler()
    assert assembler.feed(frame(STDOUT, ts(1) + b" no newline")) == []
    assert [line.text for line in assembler.flush()] == ["no newline"]


def test_tty_streams_have_no_headers():
    assembler = LineAssembler(tty=True)
    lines = assembler.feed(ts(1) + b" one\r\n" + ts(2) + b" tw")
    lines += assembler.feed(b"o\r\n")
    assert [line.text for line in lines] == ["one", "two"]


# -- frames -------------------------------------------------------------------------------------


def test_log_frames_group_runs_of_a_stream():
    assembler = LineAssembler()
    lines = assembler.feed(
        frame(STDOUT, ts(1) + b" a\n")
        + frame(STDOUT, ts(2) + b" b\n")
        + frame(STDERR, ts(3) + b" c\n")
    )
    frames = [json.loads(text) for text, _, _ in log_frames(lines, False, False)]
    assert [(f["stream"], f["data"], f["lines"]) for f in frames] == [
        ("stdout", "a\nb\n", 2),
        ("stderr", "c\n", 1),
    ]
    assert frames[0]["cursor"] == f"{ts(2).decode()}/0"
    with_ts = json.loads(log_frames(lines, True, True)[0][0])
    assert with_ts["data"].startswith(ts(1).decode() + " a\n")
    assert with_ts["history"] is True


def test_a_split_line_counts_once_and_has_one_timestamp():
    """The pieces of a line over max_line_bytes: one line in the counts, one timestamp."""
    assembler = LineAssembler(max_line_bytes=10)
    lines = assembler.feed(
        frame(STDOUT, ts(1) + b" " + b"x" * 25 + b"\n") + frame(STDOUT, ts(2) + b" y\n")
    )
    assert [(line.partial, line.continued) for line in lines] == [
        (True, False),
        (True, True),
        (False, True),
        (False, False),
    ]
    frames = [json.loads(text) for text, _, _ in log_frames(lines, True, False)]
    assert [f["lines"] for f in frames] == [0, 0, 2]
    assert [bool(f.get("partial")) for f in frames] == [True, True, False]
    text = "".join(f["data"] for f in frames)
    assert text == f"{ts(1).decode()} {'x' * 25}\n{ts(2).decode()} y\n"


# -- limits, visibility, power rules, stats ----------------------------------------------------


def test_token_bucket_allows_a_burst_then_says_how_long_to_wait():
    bucket = TokenBucket(rate=1, burst=3)
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert 0 < bucket.take() <= 1


def test_visibility_rules():
    rules = Visibility(name_patterns=["web-*"], labels=["team=a", "public"])
    assert rules.allows("/web-1", {"team": "a", "public": ""})
    assert not rules.allows("db", {"team": "a", "public": ""})
    assert not rules.allows("web-1", {"team": "b", "public": ""})
    assert not rules.allows("web-1", {"team": "a"})
    assert Visibility().allows("anything", None)


@pytest.mark.parametrize(
    ("action", "state", "ok"),
    [
        ("start", "exited", True),
        ("start", "running", False),
        ("stop", "exited", False),
        ("pause", "paused", False),
        ("unpause", "running", False),
        ("kill", "running", True),
        ("restart", "exited", True),
    ],
)
def test_power_rules(action, state, ok):
    if ok:
        check_power_action(action, state)
    else:
        with pytest.raises(Conflict) as info:
            check_power_action(action, state)
        assert f"Cannot {action}" in info.value.message


def test_listed_summary_reads_health_exit_code_and_compose():
    summary = summarize_listed(
        {
            "Id": "a" * 64,
            "Names": ["/app-web-1"],
            "Image": "img",
            "State": "exited",
            "Status": "Exited (137) 2 minutes ago",
            "Labels": {"com.docker.compose.project": "app", "com.docker.compose.service": "web"},
            "Created": 1,
        }
    )
    assert (summary["name"], summary["exit_code"], summary["compose_project"]) == (
        "app-web-1",
        137,
        "app",
    )
    assert summarize_listed({"Id": "b" * 64, "Status": "Up 1 second (unhealthy)"})["health"] == (
        "unhealthy"
    )


def test_published_ports_from_the_list_and_from_inspect_agree():
    """Docker lists a binding on 0.0.0.0 and again on ::; one entry each, the IPv4 one kept;
    an exposed port with no host port is no published port."""
    listed = summarize_listed(
        {
            "Id": "c" * 64,
            "Ports": [
                {"IP": "::", "PrivatePort": 90, "PublicPort": 9090, "Type": "udp"},
                {"IP": "0.0.0.0", "PrivatePort": 90, "PublicPort": 9090, "Type": "udp"},
                {"IP": "127.0.0.1", "PrivatePort": 80, "PublicPort": 18080, "Type": "tcp"},
                {"PrivatePort": 443, "Type": "tcp"},
            ],
        }
    )
    inspected = summarize_inspected(
        {
            "Id": "c" * 64,
            "NetworkSettings": {
                "Ports": {
                    "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}],
                    "90/udp": [
                        {"HostIp": "::", "HostPort": "9090"},
                        {"HostIp": "0.0.0.0", "HostPort": "9090"},
                    ],
                    "443/tcp": None,
                }
            },
        }
    )
    expected = [
        {"container_port": 80, "host_port": 18080, "protocol": "tcp", "host_ip": "127.0.0.1"},
        {"container_port": 90, "host_port": 9090, "protocol": "udp", "host_ip": "0.0.0.0"},
    ]
    assert listed["ports"] == expected
    assert inspected["ports"] == expected
    assert summarize_listed({"Id": "d" * 64})["ports"] == []


def test_stats_are_computed_like_the_docker_cli():
    sample = {
        "cpu_stats": {
            "cpu_usage": {"total_usage": 2_000_000},
            "system_cpu_usage": 20_000_000,
            "online_cpus": 2,
        },
        "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000}, "system_cpu_usage": 10_000_000},
        "memory_stats": {"usage": 3000, "limit": 10000, "stats": {"inactive_file": 1000}},
        "networks": {"eth0": {"rx_bytes": 5, "tx_bytes": 7}},
        "blkio_stats": {
            "io_service_bytes_recursive": [
                {"op": "Read", "value": 11},
                {"op": "write", "value": 13},
            ]
        },
        "pids_stats": {"current": 4},
    }
    stats = compute_stats(sample)
    assert stats["cpu_percent"] == 20.0
    assert stats["memory"] == {"usage": 2000, "limit": 10000, "percent": 20.0}
    assert stats["network"] == {"rx_bytes": 5, "tx_bytes": 7}
    assert stats["block_io"] == {"read_bytes": 11, "write_bytes": 13}
    assert stats["pids"] == 4


def test_deep_nesting_is_refused_before_the_parser_recurses():
    for raw in ("[" * 100000, '{"a":' * 70 + "1" + "}" * 70):
        with pytest.raises(InvalidJSON) as info:
            protocol.decode_frame(raw)
        assert "nests deeper" in info.value.message
    # Brackets inside strings do not count.
    assert protocol.decode_frame('{"type": "command", "command": "' + "[" * 500 + '"}')


def test_dechunker_undoes_chunked_encoding_across_any_split():
    from littlewings_jupyter.docker.framing import Dechunker

    payloads = [b"hello\n", b"x" * 300, b"\r\n inside data \r\n", b"end"]
    wire = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in payloads) + b"0\r\n\r\n"
    for step in (1, 2, 3, 7, 64, len(wire)):
        dechunker = Dechunker()
        out = b"".join(dechunker.feed(wire[i : i + step]) for i in range(0, len(wire), step))
        assert out == b"".join(payloads), step
        assert dechunker.done


def test_every_message_the_protocol_parses_has_one_handler():
    """The session's handler table and the protocol's parsers name the same message types: a
    parsed message with no handler would fail at run time, a handler with no parser is dead."""
    from littlewings_jupyter.session import protocol
    from littlewings_jupyter.session.handlers import HANDLERS

    assert set(HANDLERS) == set(protocol._PARSERS)
    for kind, handler in HANDLERS.items():
        assert handler.__name__ == f"on_{kind}", (kind, handler)


def test_podman_stamps_whole_seconds_and_offsets_give_utc_cursors_in_order():
    """Podman writes whole-second stamps (many lines share one: the ordinal tells them apart)
    and, when conmon runs in another zone, an offset; both become the fixed-width UTC form
    (issue 27): the stamp never stays in the text, and cursors compare in time order."""
    assembler = LineAssembler()
    lines = assembler.feed(
        frame(1, b"2026-12-03T10:00:00Z first\n")
        + frame(1, b"2026-12-03T10:00:00Z second\n")
        + frame(2, b"2026-12-03T15:30:01+05:30 third\n")
        + frame(1, b"2026-12-03T10:00:01.25-00:00 fourth\n")
        + frame(1, b"2026-12-03T10:00:02Z fifth\r\n")
    )
    assert [(line.stream, line.text) for line in lines] == [
        (1, "first"),
        (1, "second"),
        (2, "third"),
        (1, "fourth"),
        (1, "fifth"),
    ]
    assert [str(line.cursor) for line in lines] == [
        "2026-12-03T10:00:00.000000000Z/0",
        "2026-12-03T10:00:00.000000000Z/1",
        "2026-12-03T10:00:01.000000000Z/0",
        "2026-12-03T10:00:01.250000000Z/0",
        "2026-12-03T10:00:02.000000000Z/0",
    ]
    assert [line.cursor for line in lines] == sorted(line.cursor for line in lines)
    # Lines of one second with an offset (conmon's zone, the usual case then): numbered in it,
    # converted once; a CR before the newline and a stamp of another zone too.
    lines = LineAssembler().feed(
        frame(1, b"2026-12-03T15:30:00+05:30 a\n")
        + frame(1, b"2026-12-03T15:30:00+05:30 b\r\n")
        + frame(1, b"2026-12-03T05:00:00-05:00 c\n")
        + frame(1, b"2026-12-03T15:30:01+05:30 d\n")
    )
    assert [(str(line.cursor), line.text) for line in lines] == [
        ("2026-12-03T10:00:00.000000000Z/0", "a"),
        ("2026-12-03T10:00:00.000000000Z/1", "b"),
        ("2026-12-03T10:00:00.000000000Z/2", "c"),
        ("2026-12-03T10:00:01.000000000Z/0", "d"),
    ]


def test_podmans_remove_event_is_a_removal():
    """Podman calls a container's removal `remove` (dockerd: `destroy`); either leaves the list
    and the consoles the same way (issue 27)."""
    from littlewings_jupyter.session.protocol import status_frame

    for action in ("destroy", "remove"):
        frame = status_frame(
            {"Action": action, "Actor": {"ID": "c0ffee", "Attributes": {"name": "web"}}}
        )
        assert frame is not None
        assert (frame["event"], frame["state"], frame["name"]) == ("removed", "removed", "web")


def test_dockers_own_words_in_a_stream_are_no_line_of_the_container():
    # stdcopy's "Systemerr" (3): what Docker writes into a log stream itself, without a stamp.
    text = b"Error grabbing logs: rpc error: code = Unknown desc = warning: incomplete log stream\n"
    lines = LineAssembler().feed(frame(STDOUT, ts(1) + b" a line\n") + frame(3, text))
    assert [(line.stream, line.text) for line in lines] == [
        (Stream.STDOUT, "a line"),
        (Stream.SYSTEMERR, text.decode().strip()),
    ]
    assert Stream.parse("stderr") is Stream.STDERR and Stream.parse(None) is None
    with pytest.raises(ValueError, match="stream must be 'stdout' or 'stderr'"):
        Stream.parse("system")

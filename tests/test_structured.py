"""Structured log lines (docker/structured.py): formats, levels, times, messages of real lines."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from littlewings_jupyter.docker.structured import (
    FORMATS,
    LEVEL_KEYS,
    LEVELS,
    MESSAGE_KEYS,
    TIME_KEYS,
    StructuredLine,
    normalize_level,
    parse_line,
    parse_logfmt,
    parse_time,
    text_level,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]


# -- JSON lines of common loggers ----------------------------------------------------------------

JSON_LINES = [
    # (line, level, time, message, fields)
    pytest.param(
        '{"level":"info","ts":1700000000.1234567,"caller":"server/main.go:42",'
        '"msg":"listening","addr":":8080"}',
        "info",
        1700000000.1234567,
        "listening",
        {"caller": "server/main.go:42", "addr": ":8080"},
        id="zap",
    ),
    pytest.param(
        '{"level":"error","ts":"2024-01-02T03:04:05.678Z","caller":"h.go:9","msg":"request failed",'
        '"error":"EOF","stacktrace":"main.handler\\n\\t/app/main.go:50"}',
        "error",
        "2024-01-02T03:04:05.678Z",
        "request failed",
        {"caller": "h.go:9", "error": "EOF", "stacktrace": "main.handler\n\t/app/main.go:50"},
        id="zap-iso-error",
    ),
    pytest.param('{"level":"dpanic","ts":1,"msg":"x"}', "error", 1, "x", {}, id="zap-dpanic"),
    pytest.param(
        '{"level":"warning","msg":"disk almost full","time":"2024-01-02T03:04:05Z","pct":91}',
        "warn",
        "2024-01-02T03:04:05Z",
        "disk almost full",
        {"pct": 91},
        id="logrus",
    ),
    pytest.param(
        '{"level":"debug","time":"2024-01-02T03:04:05+01:00","message":"cache miss","key":"u:1"}',
        "debug",
        "2024-01-02T03:04:05+01:00",
        "cache miss",
        {"key": "u:1"},
        id="zerolog",
    ),
    pytest.param(
        '{"time":"2024-01-02T03:04:05.123456789Z","level":"WARN+2","msg":"slow","ms":1200}',
        "warn",
        "2024-01-02T03:04:05.123456789Z",
        "slow",
        {"ms": 1200},
        id="slog-offset",
    ),
    pytest.param(
        '{"event": "user logged in", "level": "info", "timestamp": "2024-01-02T03:04:05.123456Z",'
        ' "user_id": 7, "logger": "auth"}',
        "info",
        "2024-01-02T03:04:05.123456Z",
        "user logged in",
        {"user_id": 7, "logger": "auth"},
        id="structlog",
    ),
    pytest.param(
        '{"asctime": "2024-01-02 03:04:05,123", "levelname": "ERROR", "name": "app", '
        '"message": "boom", "taskName": null}',
        "error",
        "2024-01-02 03:04:05,123",
        "boom",
        {"name": "app", "taskName": None},
        id="python-json-logger",
    ),
    pytest.param(
        '{"level":30,"time":1700000000000,"pid":1,"hostname":"abc","msg":"request completed",'
        '"req":{"id":1,"method":"GET"},"responseTime":4}',
        "info",
        1700000000000,
        "request completed",
        {"pid": 1, "hostname": "abc", "req": {"id": 1, "method": "GET"}, "responseTime": 4},
        id="pino-info",
    ),
    pytest.param(
        '{"level":60,"time":1700000000000,"msg":"dying"}',
        "fatal",
        1700000000000,
        "dying",
        {},
        id="pino-fatal",
    ),
    pytest.param(
        '{"name":"myapp","hostname":"h","pid":1,"level":40,"msg":"warned",'
        '"time":"2024-01-02T03:04:05.678Z","v":0}',
        "warn",
        "2024-01-02T03:04:05.678Z",
        "warned",
        {"name": "myapp", "hostname": "h", "pid": 1, "v": 0},
        id="bunyan",
    ),
    pytest.param(
        '{"@t":"2024-01-02T03:04:05.6789012Z","@mt":"HTTP {Method} {Path} responded {Status} in '
        '{Elapsed:0.0000} ms","Method":"GET","Path":"/","Status":200,"Elapsed":1.23}',
        "info",  # CLEF leaves @l out for Information
        "2024-01-02T03:04:05.6789012Z",
        "HTTP GET / responded 200 in 1.23 ms",
        {
            "@mt": "HTTP {Method} {Path} responded {Status} in {Elapsed:0.0000} ms",
            "Method": "GET",
            "Path": "/",
            "Status": 200,
            "Elapsed": 1.23,
        },
        id="serilog-compact-template",
    ),
    pytest.param(
        '{"@t":"2024-01-02T03:04:05Z","@m":"Disk 91% full","@i":"a1b2","@l":"Warning","Pct":91}',
        "warn",
        "2024-01-02T03:04:05Z",
        "Disk 91% full",
        {"@i": "a1b2", "Pct": 91},
        id="serilog-compact-rendered",
    ),
    pytest.param(
        '{"@t":"2024-01-02T03:04:05Z","@mt":"{{literal}} {Missing} {@User}","@l":"Error",'
        '"@x":"System.Exception: x","User":{"Id":1}}',
        "error",
        "2024-01-02T03:04:05Z",
        '{literal} {Missing} {"Id":1}',  # as JSON.stringify writes it (console/structured.ts)
        {
            "@mt": "{{literal}} {Missing} {@User}",
            "@x": "System.Exception: x",
            "User": {"Id": 1},
        },
        id="serilog-template-escapes",
    ),
    pytest.param(
        '{"@t":"2024-01-02T03:04:05Z","@mt":"{Pct}% done, ok={Ok}","Pct":50.5,"Ok":true}',
        "info",
        "2024-01-02T03:04:05Z",
        "50.5% done, ok=true",  # a literal % stays; true as JSON writes it
        {"@mt": "{Pct}% done, ok={Ok}", "Pct": 50.5, "Ok": True},
        id="serilog-template-percent-and-bool",
    ),
    pytest.param(
        '{"@t":"2024-01-02T03:04:05Z","@mt":"Hello, {Name}! 100%","Name":"World"}',
        "info",
        "2024-01-02T03:04:05Z",
        "Hello, World! 100%",
        {"@mt": "Hello, {Name}! 100%", "Name": "World"},
        id="serilog-template-one-hole",
    ),
    pytest.param(
        '{"@t":"2024-01-02T03:04:05Z","@mt":"Started 100%","@l":"Debug"}',
        "debug",
        "2024-01-02T03:04:05Z",
        "Started 100%",
        {"@mt": "Started 100%"},
        id="serilog-template-no-hole",
    ),
    pytest.param(
        '{"@timestamp":"2024-01-02T03:04:05.678Z","log.level":"error","message":"x",'
        '"ecs.version":"1.6.0"}',
        "error",
        "2024-01-02T03:04:05.678Z",
        "x",
        {"ecs.version": "1.6.0"},
        id="ecs-dotted",
    ),
    pytest.param(
        '{"@timestamp":"2024-01-02T03:04:05.678Z","log":{"level":"WARN","logger":"app"},'
        '"message":"careful"}',
        "warn",
        "2024-01-02T03:04:05.678Z",
        "careful",
        {"log": {"logger": "app"}},
        id="ecs-nested",
    ),
    pytest.param(
        '{"log":{"level":"info"},"message":"only the level"}',
        "info",
        None,
        "only the level",
        {},
        id="ecs-nested-level-only",
    ),
    pytest.param(
        '{"severity":"CRITICAL","message":"db down","timestamp":"2024-01-02T03:04:05Z"}',
        "fatal",
        "2024-01-02T03:04:05Z",
        "db down",
        {},
        id="google-cloud",
    ),
    pytest.param(
        '{"version":"1.1","host":"h","short_message":"x","level":3}',
        "error",
        None,
        "",
        {"version": "1.1", "host": "h", "short_message": "x"},
        id="gelf-syslog-severity",
    ),
    pytest.param(
        '{"level":"info","ts":1700000000.1,"logger":"http.log.access","msg":"handled request",'
        '"request":{"method":"GET","uri":"/"},"status":200}',
        "info",
        1700000000.1,
        "handled request",
        {"logger": "http.log.access", "request": {"method": "GET", "uri": "/"}, "status": 200},
        id="caddy",
    ),
    pytest.param(
        '  {"lvl":"eror","msg":"padded"}  ', "error", None, "padded", {}, id="spaces-around"
    ),
    pytest.param(
        '{"level":"custom","severity":"W","msg":"x"}',
        "warn",
        None,
        "x",
        {"level": "custom"},  # not a level: it stays a field, and the next key is read
        id="unknown-level-kept",
    ),
    pytest.param(
        '{"level":true,"msg":7,"message":"the string one","time":false}',
        None,
        None,
        "the string one",
        {"level": True, "msg": 7, "time": False},
        id="wrong-types-stay-fields",
    ),
    pytest.param('{"a":1}', None, None, "", {"a": 1}, id="no-known-keys"),
]


@pytest.mark.parametrize(("line", "level", "when", "message", "fields"), JSON_LINES)
def test_json_lines(line: str, level: str | None, when: object, message: str, fields: dict) -> None:
    parsed = parse_line(line)
    assert parsed == StructuredLine("json", level, when, message, fields)


# -- logfmt --------------------------------------------------------------------------------------

LOGFMT_LINES = [
    pytest.param(
        'time="2024-01-02T03:04:05Z" level=error msg="cannot connect" error="dial tcp: refused"',
        "error",
        "2024-01-02T03:04:05Z",
        "cannot connect",
        {"error": "dial tcp: refused"},
        id="logrus-text",
    ),
    pytest.param(
        'time=2024-01-02T03:04:05.123Z level=INFO msg="hello world" count=3',
        "info",
        "2024-01-02T03:04:05.123Z",
        "hello world",
        {"count": "3"},
        id="slog-text",
    ),
    pytest.param(
        'time="2024-01-02T03:04:05.678901234Z" level=warning msg="No HTTP secret provided" '
        "go.version=go1.21.5 instance.id=0b2d",
        "warn",
        "2024-01-02T03:04:05.678901234Z",
        "No HTTP secret provided",
        {"go.version": "go1.21.5", "instance.id": "0b2d"},
        id="registry",
    ),
    pytest.param(
        'ts=2024-01-02T03:04:05.678Z caller=main.go:12 level=debug msg="say \\"hi\\"" '
        'path="/a b" empty= tab="a\\tb"',
        "debug",
        "2024-01-02T03:04:05.678Z",
        'say "hi"',
        {"caller": "main.go:12", "path": "/a b", "empty": "", "tab": "a\tb"},
        id="go-kit-escapes",
    ),
    pytest.param(
        'at=info method=GET path="/" host=app.example.com fwd="1.2.3.4" status=200 bytes=123',
        None,
        None,
        "",
        {
            "at": "info",
            "method": "GET",
            "path": "/",
            "host": "app.example.com",
            "fwd": "1.2.3.4",
            "status": "200",
            "bytes": "123",
        },
        id="heroku-router-no-level-key",
    ),
    pytest.param(
        'level=warn msg="go\\x41 quoting"  x=1  ',
        "warn",
        None,
        "gox41 quoting",  # an escape JSON does not know: the backslash goes, the rest stays
        {"x": "1"},
        id="go-only-escape-and-spaces",
    ),
]


@pytest.mark.parametrize(("line", "level", "when", "message", "fields"), LOGFMT_LINES)
def test_logfmt_lines(
    line: str, level: str | None, when: object, message: str, fields: dict
) -> None:
    assert parse_line(line) == StructuredLine("logfmt", level, when, message, fields)


@pytest.mark.parametrize(
    "line",
    [
        "a=1",  # one pair
        "Starting server port=8080 debug=true",  # words first
        "port=8080 debug=true starting",  # a bare word after the pairs
        'msg="unterminated level=info',
        'k="a"b level=info',
        "GET /search?q=1&b=2 HTTP/1.1",
        "PATH=/usr/bin",
        "x==",
    ],
)
def test_lines_that_are_not_logfmt(line: str) -> None:
    assert parse_line(line).format == "text"
    assert parse_logfmt(line) is None


# -- plain text ----------------------------------------------------------------------------------

TEXT_LEVELS = [
    # nginx
    ('2024/01/02 03:04:05 [error] 29#29: *1 open() "/x" failed (2: No such file)', "error"),
    ("2024/01/02 03:04:05 [notice] 1#1: start worker processes", "info"),
    ("2024/01/02 03:04:05 [warn] 1#1: duplicate MIME type", "warn"),
    ("2024/01/02 03:04:05 [emerg] 1#1: bind() to 0.0.0.0:80 failed", "fatal"),
    (
        '172.17.0.1 - - [02/Jan/2024:03:04:05 +0000] "GET /index.html?a=1&b=2 HTTP/1.1" 200 615 '
        '"-" "curl/8.5.0" "-"',
        None,
    ),
    ("/docker-entrypoint.sh: Configuration complete; ready for start up", None),
    # PostgreSQL
    (
        "2024-01-02 03:04:05.678 UTC [1] LOG:  database system is ready to accept connections",
        "info",
    ),
    (
        '2024-01-02 03:04:05.678 UTC [42] ERROR:  relation "x" does not exist at character 15',
        "error",
    ),
    (
        '2024-01-02 03:04:05.678 UTC [42] FATAL:  password authentication failed for user "a"',
        "fatal",
    ),
    ("2024-01-02 03:04:05.678 UTC [42] WARNING:  there is no transaction in progress", "warn"),
    ("2024-01-02 03:04:05.678 UTC [42] DEBUG2:  checkpointer updated", "debug"),
    ("2024-01-02 03:04:05.678 UTC [42] STATEMENT:  select * from x", None),
    ("PostgreSQL init process complete; ready for start up.", None),
    # Redis
    ("1:C 02 Jan 2024 03:04:05.678 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo", "warn"),
    ("1:M 02 Jan 2024 03:04:05.678 * Ready to accept connections tcp", "info"),
    ("1:M 02 Jan 2024 03:04:05.678 . DB saved on disk", "debug"),
    ("1:M 02 Jan 2024 03:04:05.678 * Done. ERROR count 0", "info"),  # the head wins
    # MySQL, Apache
    (
        "2024-01-02T03:04:05.678901Z 0 [Warning] [MY-011068] [Server] The syntax is deprecated",
        "warn",
    ),
    ("2024-01-02T03:04:05.678901Z 0 [Note] [MY-010000] [Server] Starting", "info"),
    ("2024-01-02T03:04:05.678901Z 0 [ERROR] [MY-010119] [Server] Aborting", "error"),
    ("2024-01-02T03:04:05.678901Z 0 [System] [MY-010116] [Server] starting as process 1", None),
    (
        "[Tue Jan 02 03:04:05.678901 2024] [mpm_event:notice] [pid 1:tid 2] AH00489: configured",
        "info",
    ),
    ("[Tue Jan 02 03:04:05.678901 2024] [core:error] [pid 7] AH00037: Symbolic link", "error"),
    # Python
    ("ERROR:root:something broke", "error"),
    ("WARNING:urllib3.connectionpool:Retrying (Retry(total=2))", "warn"),
    ("2024-01-02 03:04:05,123 - app - ERROR - payment failed", "error"),
    ('INFO:     127.0.0.1:50000 - "GET / HTTP/1.1" 200 OK', "info"),
    ("[2024-01-02 03:04:05 +0000] [1] [INFO] Starting gunicorn 21.2.0", "info"),
    ("[2024-01-02 03:04:05,000: WARNING/MainProcess] Task retried", "warn"),
    ("2024-01-02 03:04:05 [info     ] user logged in    user_id=7", "info"),
    ("2024-01-02 03:04:05 [warning  ] slow query         ms=1200", "warn"),
    ("Traceback (most recent call last):", None),
    ("ValueError: bad value", None),
    # JVM
    (
        "2024-01-02T03:04:05.678Z  INFO 1 --- [           main] com.example.App    : Started App",
        "info",
    ),
    ("03:04:05.678 [main] ERROR com.example.App - Failed to start", "error"),
    ("03:04:05.678 [http-nio-8080-exec-1] DEBUG o.s.web.FilterChain - Securing GET /", "debug"),
    ("SEVERE: Servlet.service() threw exception", "error"),
    ("\tat com.example.App.main(App.java:12)", None),
    # Go
    ("E1203 12:34:56.789012    1 main.go:12] boom INFO", "error"),
    ("I0102 03:04:05.678901       1 server.go:123] Serving securely", "info"),
    ("W0102 03:04:05.678901       1 client.go:9] retrying", "warn"),
    ('2024-01-02T03:04:05.678Z\tWARN\tserver/main.go:42\tslow request\t{"ms": 1200}', "warn"),
    ("3:04AM INF listening addr=:8080", "info"),
    ("\x1b[90m3:04AM\x1b[0m \x1b[31mERR\x1b[0m failed error=EOF", "error"),
    ('ERRO[0001] cannot connect                               error="refused"', "error"),
    ("WARN[0000] the attribute `version` is obsolete", "warn"),
    ("2024-01-02 03:04:05 host=a level=error msg=x", "error"),  # a prefix, then logfmt
    # Node, PHP, Ruby, CLIs
    ("npm ERR! code ELIFECYCLE", "error"),
    ("npm WARN deprecated left-pad@1.0.0", "warn"),
    ("Error: connect ECONNREFUSED 127.0.0.1:5432", "error"),
    ("warning: adding embedded git repository", "warn"),
    ("fatal: not a git repository", "fatal"),
    ("panic: runtime error: index out of range [3] with length 3", "fatal"),
    ("goroutine 1 [running]:", None),
    ("Note: the server restarts at midnight", None),
    ("Alert: a new version is available", None),
    ("[2024-01-02 03:04:05] production.ERROR: Call to undefined method", "error"),
    ('I, [2024-01-02T03:04:05.678901 #1]  INFO -- : Started GET "/"', "info"),
    ("[ERROR] something", "error"),
    ("<warn> something", "warn"),
    ("| INFO | something", "info"),
    # sentences: no level
    ("no errors found", None),
    ("0 warnings, 0 errors", None),
    ("error rate is 0%", None),
    ("Error rate is 0%", None),
    ("an error occurred while saving", None),
    ("Errors: 0", None),
    ("Set the log level to DEBUG", None),
    ("Starting server with mode DEBUG", None),
    ("GET /api/ERROR 404", None),
    ("SELECT * FROM INFORMATION_SCHEMA.TABLES", None),
    ("TERRORS and WARNINGS and INFOS are not words we know", None),
    ("Debugger attached.", None),
    ("ping -c1 host: 0% packet loss, 1 2 3 4 5 6 7 8 9 10 then ERROR far away", None),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("line", "level"), TEXT_LEVELS)
def test_text_lines(line: str, level: str | None) -> None:
    parsed = parse_line(line)
    assert parsed.format == "text"
    assert parsed.level == level
    assert parsed.message == line  # the whole line, colour codes and all
    assert parsed.time is None
    assert dict(parsed.fields) == {}


def test_a_level_word_far_into_a_long_line_does_not_count() -> None:
    assert text_level("x" * 250 + " ERROR") is None
    assert text_level("[error] " + "x" * 10_000) == "error"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('{"not": "closed"', "text"),
        ("[1, 2, 3]", "text"),
        ('"a string"', "text"),
        ("{not json}", "text"),
        ('{"a":1} {"b":2}', "text"),  # two objects
        ('{"a":1}}', "text"),
        ('{"a":1,}', "text"),
        ('{ "a" : 1 }', "json"),
        ("{}", "json"),
        ('{"level":"info"}\n', "json"),
        ('{"level":"info"}\r\n', "json"),
        ("level=info msg=x\n", "logfmt"),
    ],
)
def test_what_counts_as_json(line: str, kind: str) -> None:
    assert parse_line(line).format == kind


def test_json_nested_too_deep_to_decode_is_text() -> None:
    line = '{"a":' + "[" * 100_000 + "]" * 100_000 + "}"
    parsed = parse_line(line)
    assert parsed.format == "text" and parsed.level is None


def test_lines_that_make_a_regular_expression_backtrack_stay_fast() -> None:
    lines = [
        "a=b " * 20_000 + "x",  # logfmt, but for the last word
        'a="' + "\\x" * 20_000,  # a quote that never closes
        "a=" * 30_000,
        "[" * 50_000 + "ERROR",
        "x" * 100_000,
    ]
    for line in lines:
        started = time.perf_counter()
        assert parse_line(line).format == "text"
        assert time.perf_counter() - started < 0.5, line[:20]


def test_text_lines_share_no_mutable_fields() -> None:
    fields = parse_line("plain").fields
    with pytest.raises(TypeError):
        fields["x"] = 1  # type: ignore[index]
    assert dict(parse_line("other").fields) == {}


def test_json_that_is_not_an_object_keeps_its_text_level() -> None:
    assert parse_line('["ERROR", 1]').level is None
    assert parse_line("{ERROR} broken").level is None  # "{" is no delimiter for a capital word
    assert parse_line("{[error] broken").level == "error"


# -- levels and times ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("INFO", "info"),
        (" Information ", "info"),
        ("Verbose", "trace"),
        ("notice", "info"),
        ("WRN", "warn"),
        ("Warning", "warn"),
        ("err", "error"),
        ("crit", "fatal"),
        ("Critical", "fatal"),
        ("emerg", "fatal"),
        ("panic", "fatal"),
        ("ERROR+4", "error"),
        ("DEBUG-4", "debug"),
        ("E", "error"),
        ("i", "info"),
        ("x", None),
        ("", None),
        ("30", "info"),
        (10, "trace"),
        (20, "debug"),
        (30, "info"),
        (35, "warn"),
        (40, "warn"),
        (50, "error"),
        (60, "fatal"),
        (61, None),
        (0, "fatal"),
        (3, "error"),
        (4, "warn"),
        (6, "info"),
        (7, "debug"),
        (8, None),
        (30.0, "info"),
        (30.5, None),
        (True, None),
        (None, None),
        (["error"], None),
        ("²²", None),  # digits, not ASCII ones
        ("9" * 5000, None),  # too long for int() to take
    ],
)
def test_normalize_level(value: object, level: str | None) -> None:
    assert normalize_level(value) == level
    assert level is None or level in LEVELS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1700000000, utc(2023, 11, 14, 22, 13, 20)),
        (1700000000.5, utc(2023, 11, 14, 22, 13, 20, 500000)),
        (1700000000123, utc(2023, 11, 14, 22, 13, 20, 123000)),
        (1700000000123456, utc(2023, 11, 14, 22, 13, 20, 123456)),
        (1700000000123456789, utc(2023, 11, 14, 22, 13, 20, 123456)),  # truncated, as Docker's
        ("1700000000.5", utc(2023, 11, 14, 22, 13, 20, 500000)),
        ("2024-01-02T03:04:05Z", utc(2024, 1, 2, 3, 4, 5)),
        ("2024-01-02T03:04:05.6789012Z", utc(2024, 1, 2, 3, 4, 5, 678901)),
        ("2024-01-02T03:04:05.123456789Z", utc(2024, 1, 2, 3, 4, 5, 123456)),
        ("2024-01-02T03:04:05+01:00", utc(2024, 1, 2, 2, 4, 5)),
        ("2024-01-02T03:04:05.5-0230", utc(2024, 1, 2, 5, 34, 5, 500000)),
        ("2024-01-02 03:04:05,123", utc(2024, 1, 2, 3, 4, 5, 123000)),
        ("2024-01-02 03:04:05 UTC", utc(2024, 1, 2, 3, 4, 5)),
        ("Tue, 02 Jan 2024 03:04:05 GMT", utc(2024, 1, 2, 3, 4, 5)),
        ("Tue, 02 Jan 2024 03:04:05 +0100", utc(2024, 1, 2, 2, 4, 5)),
        ("yesterday", None),
        ("2024-13-45T03:04:05Z", None),
        ("", None),
        ("nan", None),
        (float("inf"), None),
        (-5, None),
        (0, None),
        (10**400, None),  # too large for a float
        (True, None),
        (None, None),
        ({"$date": "2024-01-02T03:04:05Z"}, None),
    ],
)
def test_parse_time(value: object, expected: datetime | None) -> None:
    assert parse_time(value) == expected


def test_times_of_real_lines_parse() -> None:
    for param in JSON_LINES + LOGFMT_LINES:
        when = param.values[2]
        if when is not None:
            parsed = parse_time(when)
            assert parsed is not None and parsed.tzinfo is timezone.utc, param.id


# -- any input -----------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(["level", "lvl", "severity", "@l", "log", "time", "ts", "@t", "msg", "@mt"])


def check_record(parsed: StructuredLine) -> None:
    assert parsed.format in FORMATS
    assert parsed.level is None or parsed.level in LEVELS
    assert isinstance(parsed.message, str)
    assert parsed.time is None or type(parsed.time) in (str, int, float)


@settings(max_examples=300, deadline=None)
@given(st.text() | st.binary().map(lambda b: b.decode("latin-1")))
def test_any_text_parses(text: str) -> None:
    check_record(parse_line(text))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS | st.text(max_size=5), JSON_VALUES, max_size=8))
def test_any_json_object_parses_as_json(obj: dict) -> None:
    parsed = parse_line(json.dumps(obj))
    check_record(parsed)
    assert parsed.format == "json"
    # Nothing else is lost: a key is a field, or it gave the level, the time or the message.
    taken = set(obj) - set(parsed.fields)
    assert len(taken & {*LEVEL_KEYS, "log"}) <= (parsed.level is not None)
    assert len(taken & set(TIME_KEYS)) == (parsed.time is not None)
    assert len(taken & set(MESSAGE_KEYS)) <= 1
    assert not taken - {*LEVEL_KEYS, "log", *TIME_KEYS, *MESSAGE_KEYS}


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text("abcdefghijklmnopqrstuvwxyz._@", min_size=1, max_size=8),
        st.text(max_size=12),
        min_size=2,
        max_size=6,
    )
)
def test_logfmt_with_quoted_values_parses_back(pairs: dict) -> None:
    line = " ".join(
        f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in pairs.items()
    )
    parsed = parse_logfmt(line)
    assert parsed == pairs

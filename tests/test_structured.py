"""Structured log lines (parsing/structured.py): formats, levels, times, messages of real lines.

The lines of real loggers are in tests/data/structured_lines.json, which the consoles' parser
(labextension/src/console/structured.ts) is tested on too.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from littlewings_jupyter.parsing.structured import (
    FORMATS,
    LEVEL_KEYS,
    LEVELS,
    MESSAGE_KEYS,
    TIME_KEYS,
    StructuredLine,
    normalize_level,
    parse_line,
    parse_logfmt,
    record_time,
    text_level,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]


# -- lines of real loggers, shared with the consoles' parser --------------------------------------

# The cases both parsers must agree on: this module's parse_line and the consoles' twin,
# labextension/src/console/structured.ts, whose jest tests read the same file.
SHARED_LINES = json.loads(
    (Path(__file__).parent / "data" / "structured_lines.json").read_text(encoding="utf-8")
)["lines"]


def expected(case: dict[str, Any]) -> StructuredLine:
    """What parse_line must make of a shared case (a text line's defaults where it gives none)."""
    line = case["line"]
    text = line.rstrip("\r\n") if line.endswith("\n") else line
    return StructuredLine(
        case["format"],
        case["level"],
        case.get("time"),
        case.get("message", text),
        case.get("fields", {}),
    )


def case_id(case: dict[str, Any]) -> str:
    return case.get("id") or case["line"][:60]


@pytest.mark.parametrize("case", SHARED_LINES, ids=case_id)
def test_shared_lines(case: dict[str, Any]) -> None:
    parsed = parse_line(case["line"])
    assert parsed._replace(fields=dict(parsed.fields)) == expected(case)


@pytest.mark.parametrize("case", SHARED_LINES, ids=case_id)
def test_only_logfmt_lines_have_logfmt_pairs(case: dict[str, Any]) -> None:
    assert (parse_logfmt(case["line"]) is not None) == (case["format"] == "logfmt")


def test_the_shared_lines_cover_every_format_and_level() -> None:
    assert {case["format"] for case in SHARED_LINES} == set(FORMATS)
    for form in FORMATS:
        levels = {case["level"] for case in SHARED_LINES if case["format"] == form}
        assert None in levels and len(levels) >= 4, form
    assert {case["level"] for case in SHARED_LINES} == {*LEVELS, None}


def test_a_level_word_far_into_a_long_line_does_not_count() -> None:
    assert text_level("x" * 250 + " ERROR") is None
    assert text_level("[error] " + "x" * 10_000) == "error"


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
    assert record_time(value) == expected


def test_times_of_real_lines_parse() -> None:
    times = [case["time"] for case in SHARED_LINES if case.get("time") is not None]
    assert len(times) >= 20
    for when in times:
        parsed = record_time(when)
        assert parsed is not None and parsed.tzinfo is timezone.utc, when


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

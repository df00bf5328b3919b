"""Docker's time as one value type (no Docker): the three forms Docker uses, read and written."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from littlewings_jupyter.parsing.lines import Cursor
from littlewings_jupyter.parsing.times import DockerTime, fixed_width

TS = "2026-11-26T03:07:11.123456789Z"


def test_rfc3339_round_trips_at_nanoseconds():
    moment = DockerTime.parse(TS)
    assert moment.text == str(moment) == TS
    assert DockerTime.parse("2026-11-26T03:07:12.000000000Z").ns - moment.ns == 876_543_211


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("2026-11-26T03:07:11Z", "2026-11-26T03:07:11.000000000Z"),
        ("2026-11-26T03:07:11.5Z", "2026-11-26T03:07:11.500000000Z"),
        ("2026-11-26T03:07:11.123456789Z", "2026-11-26T03:07:11.123456789Z"),
    ],
)
def test_shorter_fractions_read_as_the_fixed_width_form(text, fixed):
    assert fixed_width(text) == fixed
    assert DockerTime.parse(text).text == fixed


def test_the_logs_apis_since_form():
    moment = DockerTime.parse(TS)
    assert moment.docker == "1795662431.123456789"
    assert DockerTime.from_docker(moment.docker) == moment
    assert DockerTime.from_docker("1795662431").text == "2026-11-26T03:07:11.000000000Z"
    assert DockerTime.from_docker("1795662431.5").docker == "1795662431.500000000"


def test_unix_seconds_and_datetimes():
    moment = DockerTime.from_seconds(1795662431.25)
    assert moment.text == "2026-11-26T03:07:11.250000000Z"
    assert moment.seconds == 1795662431.25
    assert DockerTime.parse(TS).datetime == datetime(
        2026, 11, 26, 3, 7, 11, 123456, tzinfo=timezone.utc
    )


def test_order_and_arithmetic():
    a = DockerTime.parse(TS)
    assert a.plus(1000) > a and a.plus(-1) < a
    assert a.plus(877_000_000).text == "2026-11-26T03:07:12.000456789Z"
    assert sorted([a.plus(5), a, a.plus(-5)]) == [a.plus(-5), a, a.plus(5)]


@pytest.mark.parametrize(
    "bad", ["2026-11-26 03:07:11Z", "2026-11-26T03:07:11.12x4Z", "2026-11-26T03:07:11+0200"]
)  # (an offset "+02:00" is one: Podman writes it, see below)
def test_not_a_docker_timestamp(bad):
    with pytest.raises(ValueError, match="not a Docker timestamp"):
        DockerTime.parse(bad)


def test_a_cursor_knows_its_moment():
    cursor = Cursor.parse("2026-11-26T03:07:11.5Z/3")
    assert cursor == Cursor("2026-11-26T03:07:11.500000000Z", 3)
    assert cursor.time == DockerTime.parse("2026-11-26T03:07:11.5Z")
    assert cursor.docker_since() == "1795662431.500000000"


# -- Podman's shapes (issue 27): whole seconds, and a zone offset -------------------------------


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("2026-12-03T10:00:00.123+05:30", "2026-12-03T04:30:00.123000000Z"),
        ("2026-12-03T10:00:00+05:30", "2026-12-03T04:30:00.000000000Z"),
        ("2026-12-03T22:00:00.5-08:00", "2026-12-04T06:00:00.500000000Z"),  # the next day
        ("2026-01-01T00:30:00.000000001+01:00", "2025-12-31T23:30:00.000000001Z"),  # year before
        ("2026-12-03T10:00:00+00:00", "2026-12-03T10:00:00.000000000Z"),
    ],
)
def test_a_zone_offset_reads_as_the_same_moment_in_utc(text, fixed):
    assert fixed_width(text) == fixed
    assert DockerTime.parse(text).text == fixed
    assert DockerTime.parse(text) == DockerTime.parse(fixed)


@pytest.mark.parametrize("bad", ["2026-12-03T10:00:00+0530", "2026-12-03T10:00:00+05", "10:00"])
def test_a_broken_offset_is_not_a_docker_timestamp(bad):
    with pytest.raises(ValueError, match="not a Docker timestamp"):
        DockerTime.parse(bad)

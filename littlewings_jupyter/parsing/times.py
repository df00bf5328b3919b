"""Docker's time, one value type for it: a moment in nanoseconds since the epoch, read from and
written to the three forms Docker uses.

- Log timestamps and event times: RFC 3339 with up to nine fractional digits, in UTC
  (``2026-11-26T03:07:11.123456789Z``; dockerd) or with an offset
  (``2026-12-03T10:00:00.123+05:30``; Podman, when conmon runs in another zone), and whole
  seconds too (``2026-12-03T10:00:00Z``; Podman). LittleWings keeps them in one fixed-width UTC
  form (nine digits, ``Z``), so that two of them compare as strings; :func:`fixed_width` makes
  that form cheaply for the per-line path, :class:`DockerTime` for everything else.
- The ``since``/``until`` parameters of the logs API: ``seconds.nanoseconds``.
- Unix seconds as a float (Python's ``time.time()``).

Pure: no Docker client here.
"""

from __future__ import annotations

import calendar
import time
from datetime import datetime, timezone
from typing import NamedTuple

_NS = 1_000_000_000

# Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS" heads seen lately: log lines of one second
# share their head, and strptime is the slow part of reading a timestamp.
_EPOCH_SECONDS: dict[str, int] = {}


def _seconds_of(head: str) -> int:
    seconds = _EPOCH_SECONDS.get(head)
    if seconds is None:
        seconds = calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S"))
        if len(_EPOCH_SECONDS) > 4096:
            _EPOCH_SECONDS.clear()
        _EPOCH_SECONDS[head] = seconds
    return seconds


# The UTC heads of offset heads seen lately ("2026-12-03T10:00:00+05:30" → "…T04:30:00").
_UTC_HEADS: dict[str, str] = {}


def _utc_head(head: str, offset: str) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` at UTC offset ``±HH:MM``, as the same moment in UTC."""
    key = head + offset
    utc = _UTC_HEADS.get(key)
    if utc is None:
        if len(offset) != 6 or offset[0] not in "+-" or offset[3] != ":":
            raise ValueError(offset)
        shift = (int(offset[1:3]) * 60 + int(offset[4:6])) * 60
        seconds = _seconds_of(head) - (shift if offset[0] == "+" else -shift)
        utc = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        if len(_UTC_HEADS) > 4096:
            _UTC_HEADS.clear()
        _UTC_HEADS[key] = utc
    return utc


def _split(text: str) -> tuple[str, str]:
    """An RFC 3339 time as its UTC head (``YYYY-MM-DDTHH:MM:SS``) and its fraction's digits."""
    text = text.strip()
    if text.endswith("Z"):
        head, _, frac = text[:-1].partition(".")
    else:
        # An offset: "+05:30", "-08:00" (after the seconds and their fraction).
        body, offset = text[:-6], text[-6:]
        head, _, frac = body.partition(".")
        head = _utc_head(head, offset)
    return head, frac


def fixed_width(text: str) -> str:
    """An RFC 3339 timestamp in LittleWings' form: UTC, its fraction padded (or cut) to nine
    digits: ``2026-11-26T03:07:11.5Z`` → ``2026-11-26T03:07:11.500000000Z``,
    ``2026-12-03T10:00:00+05:30`` → ``2026-12-03T04:30:00.000000000Z``."""
    if text.endswith("Z"):
        head, _, frac = text[:-1].partition(".")
    else:
        head, frac = _split(text)
    return f"{head}.{frac.ljust(9, '0')[:9]}Z"


class DockerTime(NamedTuple):
    """A moment as Docker counts it: nanoseconds since the epoch (UTC). Compares and sorts."""

    ns: int

    @classmethod
    def parse(cls, text: str) -> DockerTime:
        """From RFC 3339 (``…T03:07:11Z``, ``…T03:07:11.123Z``, ``…T08:37:11.123+05:30``;
        nine fractional digits at most)."""
        try:
            head, frac = _split(text)
            if len(head) != 19 or (frac and not frac.isdigit()):
                raise ValueError(text)
            return cls(_seconds_of(head) * _NS + int(frac.ljust(9, "0")[:9] or 0))
        except ValueError:
            raise ValueError(f"not a Docker timestamp: {text!r}") from None

    @classmethod
    def from_docker(cls, text: str) -> DockerTime:
        """From the logs API's ``since``/``until`` form, ``seconds.nanoseconds``."""
        seconds, _, frac = text.partition(".")
        return cls(int(seconds) * _NS + int(frac.ljust(9, "0")[:9] or 0))

    @classmethod
    def from_seconds(cls, seconds: float) -> DockerTime:
        """From Unix seconds (``time.time()``); microsecond precision, as a float has."""
        whole = int(seconds // 1)
        return cls(whole * _NS + round((seconds - whole) * 1_000_000) * 1000)

    @property
    def text(self) -> str:
        """The fixed-width RFC 3339 form: ``2026-11-26T03:07:11.123456789Z``."""
        seconds, frac = divmod(self.ns, _NS)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{frac:09d}Z"

    @property
    def docker(self) -> str:
        """The logs API's ``since``/``until`` form: ``1795662431.123456789``."""
        seconds, frac = divmod(self.ns, _NS)
        return f"{seconds}.{frac:09d}"

    @property
    def seconds(self) -> float:
        """Unix seconds (a float: about a microsecond of precision today)."""
        return self.ns / _NS

    @property
    def datetime(self) -> datetime:
        """An aware UTC ``datetime`` (microsecond precision)."""
        seconds, frac = divmod(self.ns, _NS)
        return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=frac // 1000)

    def plus(self, nanoseconds: int) -> DockerTime:
        """This moment ``nanoseconds`` later (earlier when negative)."""
        return DockerTime(self.ns + nanoseconds)

    def __str__(self) -> str:
        return self.text


__all__ = ["DockerTime", "fixed_width"]

"""Docker's time, one value type for it: a moment in nanoseconds since the epoch, read from and
written to the three forms Docker uses.

- Log timestamps and event times: RFC 3339 UTC with up to nine fractional digits
  (``2026-11-26T03:07:11.123456789Z``). LittleWings keeps them in the fixed-width form (nine
  digits), so that two of them compare as strings; :func:`fixed_width` makes that form cheaply
  for the per-line path, :class:`DockerTime` for everything else.
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


def fixed_width(text: str) -> str:
    """An RFC 3339 UTC timestamp with its fraction padded (or cut) to nine digits:
    ``2026-11-26T03:07:11.5Z`` → ``2026-11-26T03:07:11.500000000Z``."""
    head, _, frac = text.rstrip("Z").partition(".")
    return f"{head}.{frac.ljust(9, '0')[:9]}Z"


class DockerTime(NamedTuple):
    """A moment as Docker counts it: nanoseconds since the epoch (UTC). Compares and sorts."""

    ns: int

    @classmethod
    def parse(cls, text: str) -> DockerTime:
        """From RFC 3339 UTC (``…T03:07:11Z``, ``…T03:07:11.123Z``, nine digits at most)."""
        head, _, frac = text.strip().rstrip("Z").partition(".")
        try:
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

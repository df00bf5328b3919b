"""Times that clients give (``since``/``until`` of frames and REST queries), as Unix seconds.

A leaf: the wire parser (:mod:`.protocol`) and the search (:mod:`.search`) both read times.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from ..errors import InvalidMessage


def parse_time(value: Any, name: str) -> float:
    """A time given as Unix seconds (number or numeric string) or RFC 3339, as Unix seconds."""
    if isinstance(value, bool):
        raise InvalidMessage(f"'{name}' must be Unix seconds or an RFC 3339 time, not a boolean.")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                raise InvalidMessage(
                    f"'{name}' must be Unix seconds or an RFC 3339 time, got {value!r}."
                ) from None
    else:
        raise InvalidMessage(f"'{name}' must be Unix seconds or an RFC 3339 time.")
    if not math.isfinite(seconds) or seconds < 0 or seconds > 1e11:
        raise InvalidMessage(f"'{name}' is out of range.")
    return seconds


__all__ = ["parse_time"]

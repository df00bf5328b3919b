"""Patterns that users give (searches, alert patterns, the command lists), matched by RE2.

Python's ``re`` backtracks: a pattern like ``(a+)+$`` over a line that almost matches takes time
exponential in the line's length, holding the GIL all along, so one search or one alert pattern
could freeze the whole server. RE2 (Google's engine, the ``google-re2`` binding) guarantees time
linear in the text, bounds its memory, and lets go of the GIL while it matches.

Its syntax is Perl's without what needs backtracking: no backreferences (``\\1``), no lookahead
or lookbehind (``(?=``, ``(?!``, ``(?<=``, ``(?<!``), no atomic groups or possessive quantifiers;
a repeat count is at most 1000. A pattern RE2 cannot take is refused with a message that names
the construct. Nothing here imports Docker.
"""

from __future__ import annotations

from typing import Any

import re2

from .errors import InvalidMessage

MAX_PATTERN = 1000
# RE2's memory for one compiled pattern (its DFA cache): past it, RE2 falls back to its NFA,
# slower but still linear.
MAX_MEMORY = 32 << 20

_UNSUPPORTED = (
    ("invalid perl operator: (?=", "lookahead (?=…)"),
    ("invalid perl operator: (?!", "negative lookahead (?!…)"),
    ("invalid perl operator: (?<=", "lookbehind (?<=…)"),
    ("invalid perl operator: (?<!", "negative lookbehind (?<!…)"),
    ("invalid perl operator: (?>", "atomic groups (?>…)"),
    ("invalid escape sequence: \\1", "backreferences (\\1…)"),
    ("invalid escape sequence: \\2", "backreferences (\\2…)"),
    ("invalid repetition size", "repeats of more than 1000 (in all, when nested)"),
    ("bad repetition operator: *+", "possessive quantifiers (*+)"),
    ("bad repetition operator: ++", "possessive quantifiers (++)"),
    ("bad repetition operator: ?+", "possessive quantifiers (?+)"),
    ("pattern too large", "patterns this large"),
)


def _explain(error: Exception, flags: str) -> str:
    """RE2's error in words a user can act on (without the flags put before the pattern)."""
    text = error.args[0] if error.args else str(error)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text)
    if flags:
        text = text.replace(": " + flags, ": ", 1)
    for start, what in _UNSUPPORTED:
        if text.startswith(start):
            return (
                f"{what} not supported (patterns use RE2 syntax, which runs in linear time: {text})"
            )
    return text


class Pattern:
    """A compiled user pattern: ``search`` a line, or find matches in a UTF-8 block."""

    __slots__ = ("_bytes", "_text", "multiline", "source")

    def __init__(self, source: str, text: Any, data: Any, multiline: bool) -> None:
        self.source = source
        self.multiline = multiline
        self._text = text
        self._bytes = data

    @property
    def pattern(self) -> str:
        """The pattern as the user wrote it."""
        return self.source

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in ``text``."""
        return self._bytes.search(text.encode("utf-8", "surrogatepass")) is not None

    def fullmatch(self, text: str) -> bool:
        """Whether the pattern matches all of ``text``."""
        return self._text.fullmatch(text) is not None

    def search_block(self, block: bytes, pos: int = 0) -> tuple[int, int] | None:
        """The byte span of the first match in ``block`` at or after ``pos`` (lines joined by
        newlines: with ``multiline``, ``^`` and ``$`` mean a line's start and end)."""
        found = self._bytes.search(block, pos)
        return None if found is None else found.span()

    def __repr__(self) -> str:
        return f"Pattern({self.source!r})"


def compile_pattern(
    source: Any,
    *,
    what: str,
    regex: bool = True,
    case_sensitive: bool = False,
    multiline: bool = False,
    dot_all: bool = False,
) -> Pattern:
    """Compile a user pattern with RE2; :class:`InvalidMessage` naming ``what`` if it cannot be.

    ``regex=False`` takes the text literally; ``multiline`` lets ``^``/``$`` match at every line
    of a block; ``dot_all`` lets ``.`` match a newline.
    """
    if not isinstance(source, str) or not source:
        raise InvalidMessage(f"{what} must be the text (or regular expression) to find.")
    if len(source) > MAX_PATTERN:
        raise InvalidMessage(f"{what} is longer than {MAX_PATTERN} characters.")
    if "\x00" in source:
        raise InvalidMessage(f"{what} must not contain a NUL character.")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_MEMORY
    options.case_sensitive = case_sensitive
    options.literal = not regex
    options.dot_nl = dot_all
    flags = "(?m)" if multiline and regex else ""
    try:
        text = re2.compile(flags + source, options)
        data = re2.compile((flags + source).encode("utf-8", "surrogatepass"), options)
    except re2.error as exc:
        raise InvalidMessage(
            f"{what} is not a valid regular expression: {_explain(exc, flags)}."
        ) from None
    except UnicodeEncodeError:
        raise InvalidMessage(f"{what} is not valid text.") from None
    return Pattern(source, text, data, multiline)


__all__ = ["MAX_PATTERN", "Pattern", "compile_pattern"]

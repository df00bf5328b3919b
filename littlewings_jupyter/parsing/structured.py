"""Structured log lines: JSON and logfmt recognised, and a level, time and message taken out.

:func:`parse_line` turns the text of one log line into a :class:`StructuredLine`: its format
(``"json"``, ``"logfmt"`` or ``"text"``), its level normalised to one of :data:`LEVELS` (or
None), the raw value of its time key, its message, and the other fields. It is pure (no I/O, no
state) and cheap, since it runs once per line wherever lines are searched or kept: a plain-text
line (the common case) costs one short regular-expression search, and nothing is parsed that
cannot be JSON or logfmt.

The rules, so that a level is only guessed where a reader would see one:

- **JSON**: a line that is one JSON object. The level is the first recognised value of
  :data:`LEVEL_KEYS` (or ``{"log": {"level": ...}}``); words are matched case-insensitively
  (``"Warning"``, ``"WRN"``, ``"err"``, Go slog's ``"ERROR+2"``), numbers as pino and bunyan
  write them (10 trace … 60 fatal) or as syslog severities (0 to 7, as GELF writes them). An
  unrecognised value stays among the fields. A Serilog compact line (``@t`` with ``@m`` or
  ``@mt``) without ``@l`` is ``info``, as that format says; an ``@mt`` template without ``@m`` is
  rendered from the line's properties.
- **logfmt**: a line made only of ``key=value`` pairs (at least two; values bare or in double
  quotes with backslash escapes). A bare word makes it text, so a sentence that happens to hold
  one ``key=value`` is not taken for logfmt. Values stay strings.
- **text**: the level comes from the line's prefix only (its first 8 words, at most 200
  characters, with at most one lowercase word before the level), where loggers put it: a level
  word in **capitals** standing alone (``ERROR``, ``WARN``, ``WARNING``, ``INF``, logrus's
  ``ERRO[0001]`` …, after a space, bracket, ``|`` or ``.`` as in Monolog's ``app.ERROR:``, before
  a space, bracket, ``|``, ``:``, ``,``, ``/`` or ``!``), a level word of **any case in
  brackets** (``[error]``, ``[Warning]``, Apache's ``[core:error]``, MySQL's ``[Note]``,
  structlog's ``[info     ]``, NetworkManager's ``<warn>``), ``level=…`` inside a line, a line
  that **starts** with ``error:``, ``Warning:``, ``panic:`` and the like, PostgreSQL's ``LOG:``,
  and the line heads of glog/klog (``E1203 12:34:56.789012 …``) and Redis (``1:M 01 Jan 2024 …
  # …``). A lowercase word in a sentence never counts (``no errors found``, ``error rate 0%``,
  ``an error occurred`` have no level), nor does a capital word after the prefix or after the
  words of a sentence (``Set the log level to DEBUG``). Colour codes are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from operator import itemgetter
from types import MappingProxyType
from typing import Any, Callable, NamedTuple

LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
"""The normalised levels, least severe first."""

LEVEL_KEYS = ("level", "lvl", "levelname", "severity", "@l", "log.level", "loglevel", "log_level")
"""The keys a level is read from, in this order (the first recognised value wins)."""
TIME_KEYS = ("time", "ts", "timestamp", "@t", "@timestamp", "asctime")
"""The keys a line's own time is read from, in this order."""
MESSAGE_KEYS = ("msg", "message", "@m", "@mt", "event")
"""The keys a message is read from, in this order (the first one holding a string)."""

FORMATS = ("json", "logfmt", "text")

_JSON_KEYS = frozenset((*LEVEL_KEYS, *TIME_KEYS, *MESSAGE_KEYS, "log"))
_NO_FIELDS: Mapping[str, Any] = MappingProxyType({})
_new = tuple.__new__  # a NamedTuple without its Python-level __new__ (once per line)
# json.loads's decoding without two Python-level calls around it (json.loads and
# JSONDecoder.decode, 0.5 µs a line): the rest of the line is checked here.
_decode_json = json.JSONDecoder().raw_decode

# Every spelling of a level seen in the wild (lowercase) and what it means here. "critical",
# "alert", "emerg" and "panic" are above "error": they are the scale's top, "fatal".
_LEVEL_WORDS = {
    "trace": "trace",
    "trc": "trace",
    "trac": "trace",
    "verbose": "trace",
    "vrb": "trace",
    "finest": "trace",
    "finer": "trace",
    "debug": "debug",
    "dbg": "debug",
    "dbug": "debug",
    "debu": "debug",
    "fine": "debug",
    "debug1": "debug",
    "debug2": "debug",
    "debug3": "debug",
    "debug4": "debug",
    "debug5": "debug",
    "info": "info",
    "inf": "info",
    "information": "info",
    "informational": "info",
    "notice": "info",
    "note": "info",
    "config": "info",
    "log": "info",
    "warn": "warn",
    "warning": "warn",
    "wrn": "warn",
    "wrng": "warn",
    "error": "error",
    "err": "error",
    "eror": "error",
    "erro": "error",
    "severe": "error",
    "dpanic": "error",
    "fatal": "fatal",
    "ftl": "fatal",
    "fata": "fatal",
    "critical": "fatal",
    "crit": "fatal",
    "crt": "fatal",
    "alert": "fatal",
    "emerg": "fatal",
    "emergency": "fatal",
    "panic": "fatal",
    "pnc": "fatal",
    "pani": "fatal",
    "panc": "fatal",
}
# Single letters mean a level only as a key's whole value (glog, Serilog's short forms).
_LEVEL_LETTERS = {
    "t": "trace",
    "v": "trace",
    "d": "debug",
    "i": "info",
    "n": "info",
    "w": "warn",
    "e": "error",
    "f": "fatal",
    "c": "fatal",
}
_SYSLOG_SEVERITIES = ("fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug")
_SLOG_OFFSET_RE = re.compile(r"^([a-z]+)[+-]\d+$")

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_UPPER_WORDS = (
    "TRACE|TRAC|TRC|DEBUG|DEBU|DBUG|DBG|INFO|INF|NOTICE|WARNING|WARN|WRN|ERROR|ERRO|EROR|ERR"
    "|SEVERE|CRITICAL|CRIT|ALERT|EMERG|FATAL|FATA|FTL|PANIC|PANI"  # ERRO…: logrus on a terminal
)
_ANY_CASE_WORDS = (
    "trace|debug|information|info|notice|note|warning|warn|error|err|severe|critical|crit"
    "|alert|emerg|fatal|panic"
)
_ANY_CASE_SET = frozenset(_ANY_CASE_WORDS.split("|"))
# A line's first word before ": " is a level only if it is one of these: "Note: …" or
# "Alert: …" opening a line is more often prose than a level.
_START_WORDS = frozenset(
    [
        "trace",
        "debug",
        "info",
        "notice",
        "warn",
        "warning",
        "error",
        "err",
        "crit",
        "critical",
        "fatal",
        "panic",
    ]
)


def _capitals_pattern(words: str, after: str) -> str:
    """Alternatives grouped by first letter: each starts with a literal character."""
    by_letter: dict[str, list[str]] = {}
    for word in words.split("|"):
        by_letter.setdefault(word[0], []).append(word[1:])
    return "|".join(f"{first}(?:{'|'.join(rest)}){after}" for first, rest in by_letter.items())


# Every alternative starts with a literal character, so that the regular-expression engine skips
# ahead to the next character that can start one and a plain line is searched at C speed; the
# rest is checked after a match (see text_level): what stands left of a capital word, which word
# is in brackets.
_TEXT_LEVEL_RE = re.compile(
    # a level word in capitals, followed by a delimiter
    _capitals_pattern(_UPPER_WORDS, r"(?=$|[\s\[\]):>|,!/])")
    # PostgreSQL's "LOG:" and "DEBUG2:"
    + r"|LOG(?=:)|DEBUG[1-5](?=:)"
    # a word in brackets, maybe after a module name (Apache: [core:error]) or padded
    # (structlog: [info     ]); or in angle brackets (NetworkManager: <warn>)
    + r"|\[(?:[A-Za-z_]+:)?([A-Za-z]+)\s*\]|<([A-Za-z]+)\s*>"
)
_BEFORE_CAPITALS = frozenset(" \t\v\f[(<|.")
_LEVEL_PAIR_RE = re.compile(r'level="?([A-Za-z]+)|lvl="?([A-Za-z]+)|severity="?([A-Za-z]+)')
_GLOG_RE = re.compile(r"([IWEF])\d{4} \d\d:\d\d:\d\d")
_REDIS_RE = re.compile(r"\d+:[XCSM] \d\d [A-Z][a-z]{2} \d{4} [\d:.]+ ([.*#-]) ")
_REDIS_LEVELS = {".": "debug", "-": "debug", "*": "info", "#": "warn"}
_GLOG_LEVELS = {"I": "info", "W": "warn", "E": "error", "F": "fatal"}
_PREFIX_CHARS = 200
_PREFIX_WORDS = 8

_LOGFMT_KEY = r'[^\s="]+'
_LOGFMT_VALUE = r'"[^"\\]*(?:\\.[^"\\]*)*"|[^\s"]*'  # a quoted value "unrolled": fast
# The whole line is checked, then its pairs are taken, each in one pass at C speed. Unambiguous
# (a key has no "=", a bare value no space, a quoted one ends at its quote): linear time.
_LOGFMT_LINE_RE = re.compile(
    rf"{_LOGFMT_KEY}=(?:{_LOGFMT_VALUE})(?:\s+{_LOGFMT_KEY}=(?:{_LOGFMT_VALUE}))+"
)
_LOGFMT_PAIR_RE = re.compile(rf"({_LOGFMT_KEY})=({_LOGFMT_VALUE})")
_TEMPLATE_HOLE_RE = re.compile(r"\{\{|\}\}|\{[@$]?([A-Za-z_][A-Za-z0-9_.]*)(?:[,:][^}]*)?\}")


class StructuredLine(NamedTuple):
    """One log line taken apart: its format, level, time, message and other fields.

    ``time`` is the raw value of the line's own time key (a string or a number, None when it has
    none; :func:`record_time` makes it a ``datetime``). For a text line ``message`` is the whole
    line and ``fields`` is empty. ``fields`` of a JSON line keep their JSON types (nested
    objects stay nested); logfmt values are strings.
    """

    format: str
    level: str | None
    time: Any
    message: str
    fields: Mapping[str, Any]


def parse_line(text: str) -> StructuredLine:
    """The structure of one log line's text (without its newline; one is ignored)."""
    stripped = text.strip()  # the same string when there is nothing to strip
    # Only a line that starts and ends like an object can be one: text pays two index checks.
    if stripped[:1] == "{":
        if stripped[-1:] == "}":
            try:
                value, end = _decode_json(stripped)
            except (ValueError, RecursionError):  # not JSON, or nested too deep
                value = end = None
            if type(value) is dict and end == len(stripped):
                return _from_object(value)
    elif "=" in stripped:
        # logfmt is pairs only: its first word has an "=" (most text lines end here).
        first_space = stripped.find(" ")
        if first_space == -1 or stripped.find("=", 0, first_space) != -1:
            pairs = parse_logfmt(stripped)
            if pairs is not None:
                return _from_pairs(pairs)
    if text[-1:] == "\n":
        text = text.rstrip("\r\n")
    return _new(StructuredLine, ("text", text_level(text), None, text, _NO_FIELDS))


def normalize_level(value: Any) -> str | None:
    """A level value as a logger wrote it, as one of :data:`LEVELS` (None if not a level).

    Words in any case and their short forms (``"WRN"``, ``"E"``), Go slog's offsets
    (``"INFO+2"``), pino/bunyan numbers (10 … 60) and syslog severities (0 … 7).
    """
    if isinstance(value, str):
        word = value.strip().lower()
        level = _LEVEL_WORDS.get(word)
        if level is not None:
            return level
        if len(word) == 1:
            return _LEVEL_LETTERS.get(word)
        if word.isdigit() and word.isascii() and len(word) <= 3:  # "30"; not "²", not 5,000 digits
            return _numeric_level(int(word))
        offset = _SLOG_OFFSET_RE.match(word)
        return _LEVEL_WORDS.get(offset.group(1)) if offset else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return _numeric_level(int(value))
    return None


def _numeric_level(number: int) -> str | None:
    if 0 <= number <= 7:
        return _SYSLOG_SEVERITIES[number]
    if 10 <= number <= 60:  # pino and bunyan: 10 trace, 20 debug … 60 fatal
        return LEVELS[(number - 1) // 10]
    return None


def text_level(text: str) -> str | None:
    """The level a plain-text line shows in its prefix (the rules are in the module's doc)."""
    prefix = text[:_PREFIX_CHARS]
    if "\x1b" in prefix:
        prefix = _ANSI_RE.sub("", text[: _PREFIX_CHARS * 2])[:_PREFIX_CHARS]
    # The line heads anchored at its start first: a capital word in the message after them
    # must not win. Each is ruled out by a look at a character or two.
    start = prefix[:1]
    if start.isalpha():
        if start in "IWEF":
            glog = _GLOG_RE.match(prefix)
            if glog is not None:
                return _GLOG_LEVELS[glog.group(1)]
        colon = prefix.find(":", 3, 13)  # "Error: …", "warning: …"
        if colon != -1 and prefix[colon + 1 : colon + 2].isspace():
            word = prefix[:colon].lower()
            if word in _START_WORDS:
                return _LEVEL_WORDS[word]
    elif start.isdigit():
        colon = prefix.find(":", 1, 8)  # Redis: "1:M 02 Jan 2024 …"
        if colon != -1 and prefix[colon + 2 : colon + 3] == " ":
            redis = _REDIS_RE.match(prefix)
            if redis is not None:
                return _REDIS_LEVELS[redis.group(1)]
    search = _TEXT_LEVEL_RE.search
    found = search(prefix)
    while found is not None:
        at = found.start()
        group = found.lastindex
        if group is None:
            if at and prefix[at - 1] not in _BEFORE_CAPITALS:  # inside a word: "/ERROR"
                found = search(prefix, at + 1)
                continue
            word = found.group(0).lower()
        else:
            word = found.group(group).lower()
            if word not in _ANY_CASE_SET:  # [main], <br>
                found = search(prefix, found.end())
                continue
        # A prefix is times, numbers, brackets and names; words of a sentence before the level
        # word mean it is a sentence ("Set the log level to DEBUG").
        head = prefix[:at]
        before = head.split()
        if len(before) >= _PREFIX_WORDS:
            return None
        # (Most heads have no lowercase letter at all: times, numbers, brackets.) The words
        # counted in C: map and filter call str's methods without a Python frame.
        if head.upper() == head or sum(map(str.islower, filter(str.isalpha, before))) <= 1:
            return _LEVEL_WORDS[word]
        return None
    if "=" in prefix and ("vel=" in prefix or "lvl=" in prefix or "rity=" in prefix):
        # level=error inside a line that is not all logfmt
        for pair in _LEVEL_PAIR_RE.finditer(prefix):
            at = pair.start()
            word = pair.group(pair.lastindex or 0).lower()
            if (at == 0 or prefix[at - 1].isspace()) and word in _ANY_CASE_SET:
                return _LEVEL_WORDS[word]
    return None


def parse_logfmt(text: str) -> dict[str, Any] | None:
    """A logfmt line's pairs in order (quoted values unescaped), or None if it is not one.

    Not logfmt: fewer than two pairs, or anything between the pairs that is not a pair.
    """
    text = text.strip()
    if _LOGFMT_LINE_RE.fullmatch(text) is None:
        return None
    pairs: dict[str, Any] = dict(_LOGFMT_PAIR_RE.findall(text))
    if '"' in text:
        for key, value in pairs.items():
            if value[:1] == '"':
                pairs[key] = _unquote(value)
    return pairs if len(pairs) >= 2 else None


def _unquote(quoted: str) -> str:
    inner = quoted[1:-1]
    if "\\" not in inner:
        return inner
    try:
        return str(json.loads(quoted))
    except ValueError:  # Go's quoting has escapes JSON does not (\x41, \a): keep the rest
        return re.sub(r"\\(.)", r"\1", inner)


def _from_object(fields: dict[str, Any]) -> StructuredLine:
    """A JSON object's structure; ``fields`` is taken over (the recognised keys leave it)."""
    level = when = time_key = message = message_key = None
    present = _JSON_KEYS.intersection(fields)  # one pass in C; most keys are none of ours
    if present:
        for key in LEVEL_KEYS:
            if key in present:
                value = fields[key]
                kind = type(value)
                level = _KNOWN_LEVELS.get(value) if kind is str or kind is int else None
                if level is None:
                    level = normalize_level(value)
                if level is not None:
                    del fields[key]
                    break
        if level is None and "log" in present:
            nested = fields["log"]
            if isinstance(nested, dict) and "level" in nested:
                level = normalize_level(nested["level"])
                if level is not None:
                    rest = {k: v for k, v in nested.items() if k != "level"}
                    if rest:
                        fields["log"] = rest
                    else:
                        del fields["log"]
        for key in TIME_KEYS:
            if key in present:
                kind = type(fields[key])
                if kind is str or kind is float or kind is int:
                    when = fields.pop(key)
                    time_key = key
                    break
        for key in MESSAGE_KEYS:
            if key in present:
                value = fields[key]
                if type(value) is str:
                    message_key = key
                    # A template is rendered and stays a field (lines of a template group).
                    message = _render_template(value, fields) if key == "@mt" else fields.pop(key)
                    break
        if level is None and time_key == "@t" and message_key in ("@m", "@mt"):
            level = "info"  # Serilog's compact format leaves @l out for Information
    return _new(StructuredLine, ("json", level, when, "" if message is None else message, fields))


def _from_pairs(fields: dict[str, Any]) -> StructuredLine:
    level = None
    for key in LEVEL_KEYS:
        if key in fields:
            level = normalize_level(fields[key])
            if level is not None:
                del fields[key]
                break
    when = None
    for key in TIME_KEYS:
        if key in fields:
            when = fields.pop(key)
            break
    message = ""
    for key in MESSAGE_KEYS:
        if key in fields:
            message = fields.pop(key)
            break
    return _new(StructuredLine, ("logfmt", level, when, message, fields))


class _Template(NamedTuple):
    """A parsed message template: the texts between its holes, and the holes."""

    literals: list[str]
    holes: list[tuple[str, str]]  # (property name, the hole as written)
    names: frozenset[str]
    # The whole template as a %-format, for when every property is there as a plain value.
    percent_format: str
    values: Callable[[Mapping[str, Any]], Any]


def _render_template(template: str, properties: Mapping[str, Any]) -> str:
    """A Serilog message template with its ``{Name}`` holes filled from the properties."""
    parsed = _TEMPLATES.get(template)
    if parsed is None:
        parsed = _parse_template(template)
    if not parsed.holes:
        return parsed.literals[0]
    if properties.keys() >= parsed.names:
        values = parsed.values(properties)
        if len(parsed.holes) == 1:
            values = (values,)
        if _PLAIN_TYPES.issuperset(map(type, values)):
            return parsed.percent_format % values
    out = [parsed.literals[0]]
    for (name, hole), literal in zip(parsed.holes, parsed.literals[1:]):
        value = properties.get(name, _MISSING)
        if value is _MISSING:
            out.append(hole)
        elif type(value) in _PLAIN_TYPES:
            out.append(str(value))
        else:
            # true, null, objects as JSON, written as JSON.stringify writes them (the consoles'
            # twin, console/structured.ts): no spaces, letters as they are.
            out.append(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        out.append(literal)
    return "".join(out)


# Templates repeat (a template is a line's kind, its properties vary): each is parsed once.
_TEMPLATES: dict[str, _Template] = {}
_TEMPLATE_CACHE_SIZE = 1024
_MISSING = object()
_PLAIN_TYPES = frozenset((str, int, float))


def _parse_template(template: str) -> _Template:
    """A template taken apart (and kept in the cache)."""
    literals: list[str] = []
    holes: list[tuple[str, str]] = []
    text: list[str] = []
    pos = 0
    for hole in _TEMPLATE_HOLE_RE.finditer(template):
        text.append(template[pos : hole.start()])
        pos = hole.end()
        if hole.group(1) is None:  # "{{" or "}}"
            text.append(hole.group(0)[0])
            continue
        literals.append("".join(text))
        text = []
        holes.append((hole.group(1), hole.group(0)))
    text.append(template[pos:])
    literals.append("".join(text))
    names = [name for name, _ in holes]
    parsed = _Template(
        literals,
        holes,
        frozenset(names),
        "%s".join(literal.replace("%", "%%") for literal in literals),
        itemgetter(*names) if names else dict,
    )
    if len(_TEMPLATES) >= _TEMPLATE_CACHE_SIZE:
        _TEMPLATES.clear()
    _TEMPLATES[template] = parsed
    return parsed


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ISO_FRACTION_RE = re.compile(r"^(.*?[T ]\d\d:\d\d:\d\d)(?:[.,](\d+))?\s*(Z|[+-]\d\d:?\d\d|UTC)?$")


def record_time(value: Any) -> datetime | None:
    """A log line's own time value as an aware UTC ``datetime`` (None when it is not a time).

    Numbers are Unix time in seconds, milliseconds, microseconds or nanoseconds, told apart by
    their size (pino writes milliseconds, zap seconds). Strings are RFC 3339 / ISO 8601 (a comma
    before the fraction too, as Python's ``asctime`` writes it), digits as for numbers, or an
    RFC 1123 date. A time without a zone is taken as UTC, as containers usually run.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            return _record_time_text(text)
    if not isinstance(value, (int, float)) or value != value or value <= 0:
        return None
    try:
        for scale in (1, 1000, 1_000_000, 1_000_000_000):  # the first before the year 5138
            if value / scale < 1e11:
                if isinstance(value, int):  # exact: a float has no nanoseconds at this size
                    return _EPOCH + timedelta(microseconds=value * 1_000_000 // scale)
                return _EPOCH + timedelta(seconds=value / scale)
    except OverflowError:  # an int too large for a float
        pass
    return None


def _record_time_text(text: str) -> datetime | None:
    parts = _ISO_FRACTION_RE.match(text)
    if parts is not None:
        head, fraction, zone = parts.groups()
        try:
            moment = datetime.fromisoformat(head.replace(" ", "T", 1))
        except ValueError:
            return _parse_mail_date(text)
        if fraction:
            moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
        if zone in (None, "Z", "UTC"):
            return moment.replace(tzinfo=timezone.utc)
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return moment.replace(tzinfo=timezone(sign * offset)).astimezone(timezone.utc)
    return _parse_mail_date(text)


def _parse_mail_date(text: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _known_levels() -> dict[Any, str]:
    """The level values loggers write most, looked up at once (words as written, numbers)."""
    known: dict[Any, str] = {}
    for word, level in _LEVEL_WORDS.items():
        for spelling in (word, word.upper(), word.capitalize()):
            known[spelling] = level
    for number in range(61):
        numeric = _numeric_level(number)
        if numeric is not None:
            known[number] = numeric
    return known


# A str or int only (True == 1 would find 1's level): see _from_object.
_KNOWN_LEVELS = _known_levels()

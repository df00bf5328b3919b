"""What every REST endpoint under ``{base_url}api/littlewings/`` shares: JSON errors, the
checks of query arguments, the rate limit of changes, downloads that stream.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado.iostream import StreamClosedError

from ...docker.models import ContainerRef
from ...errors import (
    InvalidMessage,
    LittleWingsError,
)
from ...parsing.lines import Stream
from ...session import protocol
from ...session.limits import TokenBucket
from ...session.pump import pump
from ..handlers import LittleWingsHandlerMixin

FILENAME_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
# What tornado's get_argument replaces with a space.
MANGLED = re.compile(r"[\x00-\x08\x0e-\x1f]")


class LittleWingsAPIHandler(LittleWingsHandlerMixin, APIHandler):
    """Base of the REST handlers: our errors become JSON bodies with the right status."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as ``{"error": code, "message": …}``."""
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, LittleWingsError):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(exc.to_json()))
            return
        message = getattr(exc, "log_message", None) or self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": http_code(status_code), "message": message}))

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        """Use our error's HTTP status rather than tornado's 500."""
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, LittleWingsError):
            status_code = exc.http_status
        super().send_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Our errors are answers, not crashes: log them briefly."""
        if isinstance(value, LittleWingsError):
            self.log.info("LittleWings %s: %s", value.code, value.message)
            return
        super().log_exception(typ, value, tb)

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        """Refuse what tornado would silently turn into spaces (NUL and other control
        characters): the server must not read or write another thing than was asked."""
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            what = f"Query argument {name!r}" if name else "The URL"
            raise InvalidMessage(f"{what} is not UTF-8.") from None
        bad = MANGLED.search(text)
        if bad:
            what = f"Query argument {name!r}" if name else "The URL"
            raise InvalidMessage(
                f"{what} contains a control character ({bad.group()!r}).",
                **({"field": name} if name else {}),
            )
        return text

    @property
    def engine_name(self) -> str:
        """The ``engine`` query argument ("" for the default engine)."""
        return protocol.parse_engine({"engine": self.get_argument("engine", "")})

    async def container(self, ref: str) -> ContainerRef:
        """The container ``ref`` on the request's engine."""
        return await self.manager.resolve(self.engine_name, ref)

    def log_arguments(self) -> tuple[int | None, str | None, str | None, bool, int | None]:
        """``tail``, ``since``, ``until`` (as Docker takes them), ``timestamps`` and ``stream``
        (1 stdout, 2 stderr, None both) of a logs download."""
        tail_arg = self.get_argument("tail", "all")
        if tail_arg == "all":
            tail = None
        elif tail_arg.isdigit():
            tail = int(tail_arg)
        else:
            raise InvalidMessage("Query argument 'tail' must be a whole number or 'all'.")
        since = self.get_argument("since", None)
        until = self.get_argument("until", None)
        since_s = None if since is None else f"{protocol.parse_time(since, 'since'):.9f}"
        until_s = None if until is None else f"{protocol.parse_time(until, 'until'):.9f}"
        try:
            wanted = Stream.parse(self.get_argument("stream", None))
        except ValueError as e:
            raise InvalidMessage(f"Query argument {e}") from None
        return tail, since_s, until_s, self.get_flag("timestamps"), wanted

    @property
    def rate(self) -> TokenBucket:
        """The rate limit of REST changes: per user, or per token for token requests.

        A request with a token and no login cookie gets a new anonymous user name each time from
        Jupyter's identity provider: keyed by name, a script could skip the limit.
        """
        return self.manager.actions.rate_for_user(self.principal)

    def json_body(self) -> Any:
        """The request's JSON body (``{}`` when empty)."""
        return protocol.decode_json(self.request.body or b"{}", "The body")

    async def stream_download(
        self,
        chunks: Generator[Any, None, None],
        text: Any,
        content_type: str = "text/plain; charset=utf-8",
    ) -> None:
        """Send ``text(chunk)`` of each chunk as it is read (in a worker thread), flushed one
        by one so memory stays flat; a client that hangs up ends it quietly, and the Docker
        stream behind ``chunks`` is closed either way."""
        self.set_header("Content-Type", content_type)

        async def deliver(chunk: Any) -> bool:
            self.write(text(chunk))
            try:
                await self.flush()
            except StreamClosedError:
                return False  # the client hung up: nothing to answer
            return True

        if not await pump(self.manager.run, chunks, deliver):
            return
        self.finish()

    def get_flag(self, name: str, default: bool = False) -> bool:
        """A boolean query argument (``1/true/yes`` or ``0/false/no``)."""
        value = self.get_argument(name, None)
        if value is None:
            return default
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off", ""):
            return False
        raise InvalidMessage(f"Query argument {name!r} must be true or false.")


def http_code(status: int) -> str:
    return {
        400: "invalid_message",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
    }.get(status, "error")

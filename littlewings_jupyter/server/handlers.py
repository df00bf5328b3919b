"""The LittleWings WebSocket: Jupyter's auth at the handshake, then a thin relay to a session."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any, cast

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.websocket import (
    WebSocketClosedError,
    WebSocketHandler,
    WebSocketProtocol,
    WebSocketProtocol13,
)

from ..session.manager import SessionManager
from ..session.session import ClientSession

AUTH_RESOURCE = "littlewings"


class RefusingProtocol(WebSocketProtocol13):
    """Tornado's protocol, but a frame over ``max_message_size`` ends cleanly.

    Tornado sends the close frame (1009) and closes the TCP socket at once, with the rest of
    the big frame unread: the kernel then answers with a reset, and a client still writing its
    frame sees its connection reset and never reads the 1009 (seen on a loaded machine). Here
    what the client still sends is read and dropped (at most ``DRAIN_BYTES``, for at most
    ``DRAIN_SECONDS``; nothing is kept) until it reads the close frame and hangs up.
    """

    DRAIN_BYTES = 256 * 1024 * 1024
    DRAIN_SECONDS = 10.0

    refused = False
    draining = False
    drain_task: asyncio.Future[None] | None = None

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        if code == 1009 and not self.server_terminated:
            self.refused = True
        super().close(code, reason)

    def _abort(self) -> None:
        if self.draining:
            return  # (tornado's own 5 s timer: the drain ends by itself)
        if not self.refused or self.stream is None or self.stream.closed():
            super()._abort()
            return
        # Stop reading frames (the rest of this one is no frame), but keep the socket.
        self.client_terminated = self.server_terminated = self.draining = True
        self.drain_task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.DRAIN_SECONDS
        total = 0
        try:
            while total < self.DRAIN_BYTES and (left := deadline - loop.time()) > 0:
                data = await asyncio.wait_for(self.stream.read_bytes(64 * 1024, partial=True), left)
                total += len(data)
        except (StreamClosedError, asyncio.TimeoutError):
            pass
        finally:
            self.draining = False
            self.refused = False
            super()._abort()


class LittleWingsHandlerMixin:
    """What the WebSocket and REST handlers share: the manager, the user's name, authorization."""

    auth_resource = AUTH_RESOURCE

    @property
    def manager(self) -> SessionManager:
        """The server's session manager."""
        return cast(SessionManager, self.settings["littlewings_manager"])  # type: ignore[attr-defined]

    @property
    def user_name(self) -> str:
        """The Jupyter user's name, as the identity provider tells it."""
        user = self.current_user  # type: ignore[attr-defined]
        return str(getattr(user, "username", None) or getattr(user, "name", None) or user)

    @property
    def principal(self) -> str:
        """Who asks, as a stable key: the user, or the token of a request that has one.

        A request with a token and no login cookie gets a new anonymous user name each time from
        Jupyter's identity provider; the token is what stays the same between its requests.
        """
        handler = cast(JupyterHandler, self)
        token = handler.identity_provider.get_token(handler)
        if token:
            return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]
        return "user:" + self.user_name

    async def is_authorized(self, action: str) -> bool:
        """Whether the server's Authorizer allows ``action`` on the ``littlewings`` resource."""
        handler = cast(JupyterHandler, self)
        user = handler.current_user
        if user is None:
            return False
        return bool(
            await ensure_async(
                handler.authorizer.is_authorized(handler, user, action, AUTH_RESOURCE)
            )
        )

    async def permissions(self) -> dict[str, bool]:
        """What the user may do (Authorizer and read-only mode), for clients to grey out."""
        return {
            "read": await self.is_authorized("read"),
            "write": await self.is_authorized("write") and not self.manager.limits.read_only,
        }


class ContainerWebSocket(LittleWingsHandlerMixin, WebSocketMixin, WebSocketHandler, JupyterHandler):
    """``{base_url}api/littlewings/ws``: the container console socket."""

    session: ClientSession | None = None

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Check the user may read containers before the upgrade; 403 otherwise, no redirect."""
        if not await self.is_authorized("read"):
            raise web.HTTPError(403)
        await ensure_async(super().get(*args, **kwargs))  # type: ignore[arg-type]

    @property
    def max_message_size(self) -> int:  # type: ignore[override]
        """Frames over this size close the socket with 1009."""
        return self.manager.limits.max_message_size

    def get_websocket_protocol(self) -> WebSocketProtocol | None:
        """Tornado's protocol, ending an oversized frame cleanly (:class:`RefusingProtocol`)."""
        protocol = super().get_websocket_protocol()
        if isinstance(protocol, WebSocketProtocol13):
            protocol.__class__ = RefusingProtocol
        return protocol

    async def open(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Start the session and greet the client."""
        WebSocketMixin.open(self, *args, **kwargs)  # type: ignore[misc]
        self.session = self.manager.open_session(self)
        self.session.start(self.user_name, await self.permissions())

    async def on_message(self, message: str | bytes) -> None:
        """Hand the frame to the session."""
        if self.session is not None:
            await self.session.handle(message)

    def write_message(self, message: Any, binary: bool = False) -> Any:  # type: ignore[override]
        """Send a frame; its awaitable raises WebSocketClosedError if the socket is gone."""
        return super().write_message(message, binary=binary)

    def on_close(self) -> None:
        """Release the session's streams."""
        if self.session is not None:
            self.session.release()

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the socket (safe to call twice)."""
        if self.ws_connection is not None:
            super().close(code, reason)


__all__ = ["AUTH_RESOURCE", "ContainerWebSocket", "LittleWingsHandlerMixin", "WebSocketClosedError"]

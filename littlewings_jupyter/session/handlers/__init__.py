"""What a session does with each message a client sends: one function per message type, in a
module per concern, and :data:`HANDLERS`, the table from message type to function.

A handler is ``async def on_<type>(session, message)``: ``message`` is what
:mod:`..protocol` parsed, ``session`` the :class:`~..session.ClientSession` it came on. Handlers
use the session's public methods (``authorize``, ``require_container``, ``send``...) and the
manager through :class:`~..interfaces.SessionManagerLike`. An error is raised as a
:class:`~littlewings_jupyter.errors.LittleWingsError`: the session turns it into an error frame.
"""

from __future__ import annotations

from ..interfaces import Handler
from . import alerts, commands, logs, manage, search, shells

HANDLERS: dict[str, Handler] = {
    **manage.HANDLERS,
    **logs.HANDLERS,
    **search.HANDLERS,
    **alerts.HANDLERS,
    **commands.HANDLERS,
    **shells.HANDLERS,
}

__all__ = ["HANDLERS", "Handler"]

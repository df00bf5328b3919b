"""REST endpoints under ``{base_url}api/littlewings/``: JSON in, JSON out, errors as JSON.

One module per concern: :mod:`.containers` (status, engines, containers, power, audit),
:mod:`.logs` (downloads, search, the archive), :mod:`.files`; what they share is :mod:`.base`.
"""

from __future__ import annotations

from .containers import (
    AuditHandler,
    ContainerHandler,
    ContainersHandler,
    EnginesHandler,
    ImagesHandler,
    NodesHandler,
    PowerHandler,
    ServicesHandler,
    StatusHandler,
)
from .files import FilesHandler
from .logs import (
    ArchivedLogsHandler,
    ArchivedSearchHandler,
    ArchiveHandler,
    ContainerLogsHandler,
    GroupLogsHandler,
    SearchHandler,
)

_CONTAINER = r"(?P<ref>[^/]+)"

default_handlers = [
    (r"/api/littlewings/status", StatusHandler),
    (r"/api/littlewings/engines", EnginesHandler),
    (r"/api/littlewings/containers", ContainersHandler),
    (rf"/api/littlewings/containers/{_CONTAINER}", ContainerHandler),
    (rf"/api/littlewings/containers/{_CONTAINER}/logs", ContainerLogsHandler),
    (rf"/api/littlewings/containers/{_CONTAINER}/power", PowerHandler),
    (rf"/api/littlewings/containers/{_CONTAINER}/search", SearchHandler),
    (rf"/api/littlewings/containers/{_CONTAINER}/files", FilesHandler),
    (r"/api/littlewings/logs", GroupLogsHandler),
    (r"/api/littlewings/services", ServicesHandler),
    (r"/api/littlewings/nodes", NodesHandler),
    (r"/api/littlewings/archive", ArchiveHandler),
    (rf"/api/littlewings/archive/{_CONTAINER}/logs", ArchivedLogsHandler),
    (rf"/api/littlewings/archive/{_CONTAINER}/search", ArchivedSearchHandler),
    (r"/api/littlewings/images", ImagesHandler),
    (r"/api/littlewings/audit", AuditHandler),
]

__all__ = ["default_handlers"]

"""Messages about the engine rather than one view: heartbeat, lists, create/remove, events,
stats and power."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .. import protocol

if TYPE_CHECKING:
    from ..interfaces import Handler
    from ..session import ClientSession


async def on_heartbeat(session: ClientSession, message: protocol.Message) -> None:
    session.send(
        protocol.reply(
            "heartbeat",
            message.id,
            time=time.time(),
            status="success",
            message="Heartbeat renewed",
        )
    )


async def on_list(session: ClientSession, message: protocol.Message) -> None:
    await session.authorize("read")
    names = [message.engine] if message.engine else None
    containers, engines = await session.manager.list_all(names)
    session.send(protocol.reply("containers", message.id, containers=containers, engines=engines))


async def on_services(session: ClientSession, message: protocol.Message) -> None:
    await session.authorize("read")
    manager = session.manager
    slot = manager.slot(message.engine)
    services = await manager.run(slot.engine.swarm.list_services)
    session.send(protocol.reply("services", message.id, engine=slot.name, services=services))


async def on_nodes(session: ClientSession, message: protocol.Message) -> None:
    await session.authorize("read")
    manager = session.manager
    slot = manager.slot(message.engine)
    nodes = await manager.run(slot.engine.swarm.list_nodes)
    session.send(protocol.reply("nodes", message.id, engine=slot.name, nodes=nodes))


async def on_node(session: ClientSession, message: protocol.NodeAvailability) -> None:
    node = await session.manager.actions.node_availability(
        session, message.engine, message.node, message.availability
    )
    session.send(
        protocol.reply(
            "node",
            message.id,
            engine=node["engine"],
            ok=True,
            availability=message.availability,
            node=node,
        )
    )


async def on_images(session: ClientSession, message: protocol.Message) -> None:
    await session.authorize("read")
    manager = session.manager
    images = await manager.run(manager.slot(message.engine).engine.list_images)
    session.send(protocol.reply("images", message.id, images=images))


async def on_create(session: ClientSession, message: protocol.Create) -> None:
    await session.authorize("read")
    summary = await session.manager.actions.create(
        session, message.spec, via="ws", engine=message.engine
    )
    session.send(protocol.reply("created", message.id, container=summary))


async def on_remove(session: ClientSession, message: protocol.Remove) -> None:
    await session.authorize("read")
    manager = session.manager
    ref = await manager.resolve(message.engine, message.server_id)
    removed = await manager.actions.remove(
        session, ref, force=message.force, volumes=message.volumes, via="ws"
    )
    session.send(
        protocol.reply("removed", message.id, container=removed["id"], server_id=removed["name"])
    )


async def on_events(session: ClientSession, message: protocol.Toggle) -> None:
    await session.authorize("read")
    if message.enabled:
        await session.manager.events_ready()  # the reply promises the events that follow
        session.manager.event_subscribers.add(session)
    else:
        session.manager.event_subscribers.discard(session)
    session.events = message.enabled
    session.send(protocol.reply("events", message.id, enabled=message.enabled))


async def on_stats(session: ClientSession, message: protocol.Toggle) -> None:
    await session.authorize("read")
    container = session.require_container()
    if message.enabled and not session.stats:
        session.manager.subscribe_stats(container, session)
    elif not message.enabled and session.stats:
        session.manager.unsubscribe_stats(container, session)
    session.stats = message.enabled
    session.send(protocol.reply("stats_enabled", message.id, enabled=message.enabled))


async def on_power(session: ClientSession, message: protocol.Power) -> None:
    container = session.require_container()
    summary = await session.manager.actions.power(session, container, message.action)
    session.send(
        protocol.reply(
            "power",
            message.id,
            action=message.action,
            ok=True,
            state=summary["state"],
            container=summary,
        )
    )


HANDLERS: dict[str, Handler] = {
    "heartbeat": on_heartbeat,
    "list": on_list,
    "services": on_services,
    "nodes": on_nodes,
    "node": on_node,
    "images": on_images,
    "create": on_create,
    "remove": on_remove,
    "events": on_events,
    "stats": on_stats,
    "power": on_power,
}

"""The changes users ask for, from a WebSocket or REST alike: one check (the Authorizer,
read-only mode, the rate limit), one audit, one policy.

Commands, shells, power actions, creating and removing containers and changing their files all
pass through :class:`Actions`, which the session manager holds (``manager.actions``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..docker.models import ContainerRef, Visibility
from ..docker.spec import ContainerSpec, check_host_path, check_policy, parse_spec
from ..errors import (
    ContainerNotFound,
    Forbidden,
    InvalidField,
    LittleWingsError,
    RateLimited,
    TooManyCommands,
)
from .limits import Limits, TokenBucket

if TYPE_CHECKING:
    from .audit import AuditLog
    from .interfaces import Actor, EngineSlotLike

# Who created a container through LittleWings (a label on it).
CREATED_BY_LABEL = "littlewings.created-by"

T = TypeVar("T")


def visible_labels(visibility: Visibility, spec: ContainerSpec) -> dict[str, str]:
    """The labels a new container needs to be visible on this server (``visible_labels``:
    ``key=value`` rules are set, overriding the user's value, so that nobody plants a container
    in another user's view; ``key`` rules keep the user's value, else get an empty one).
    A name ``visible_names`` would hide is refused: the user would lose the container."""
    labels: dict[str, str] = {}
    for rule in visibility.labels:
        key, has_value, value = rule.partition("=")
        labels[key] = value if has_value else spec.labels.get(key, "")
    if visibility.name_patterns and not (
        spec.name and visibility.allows(spec.name, {**spec.labels, **labels})
    ):
        raise InvalidField(
            "name",
            "this server shows only containers named "
            f"{', '.join(visibility.name_patterns)}: give the new one such a name.",
        )
    return labels


class Actions:
    """Every change a user asks for: checked, run on the manager's workers, audited.

    ``run`` runs a blocking call on a worker (the manager's ``run``); ``slot`` finds an engine
    by name (the manager's ``slot``). ``audit`` is the audit trail, when there is one.
    """

    def __init__(
        self,
        limits: Limits,
        run: Callable[..., Awaitable[Any]],
        slot: Callable[[str | None], EngineSlotLike],
    ) -> None:
        self.limits = limits
        self.run = run
        self.slot = slot
        self.audit: AuditLog | None = None
        self.user_rates: dict[str, TokenBucket] = {}
        # Publishes a container event the engine does not send itself (the manager's).
        self.announce: Callable[[ContainerRef, str], None] | None = None
        # Tells alert rules that a container's next death is asked for (True), or not after
        # all (False): the manager's.
        self.expect_death: Callable[[ContainerRef, bool], None] | None = None

    def rate_for_user(self, user_name: str) -> TokenBucket:
        """The rate limit of a user's REST requests (a WebSocket has one per connection)."""
        bucket = self.user_rates.get(user_name)
        if bucket is None:
            bucket = self.user_rates[user_name] = TokenBucket(
                self.limits.command_rate, self.limits.command_burst
            )
        return bucket

    async def check_write(self, actor: Actor, what: str) -> None:
        """Refuse a change the Authorizer, read-only mode or the rate limit does not allow."""
        if not await actor.is_authorized("write"):
            raise Forbidden(f"You are not allowed to write containers here (Authorizer): {what}.")
        if self.limits.read_only:
            raise Forbidden(f"LittleWings is in read-only mode: {what} is disabled.")
        wait = actor.rate.take()
        if wait:
            raise RateLimited(
                f"Too many commands and power actions; try again in {wait:.1f} s.",
                retry_after=round(wait, 2),
            )

    def audit_start(
        self, actor: Actor, container: ContainerRef, action: str, detail: str, via: str | None
    ) -> str | None:
        """Record that ``actor`` asked for ``action``; the entry to finish (None: no audit)."""
        if self.audit is None:
            return None
        return self.audit.start(
            user=actor.user_name,
            container_id=container.id,
            container_name=container.name,
            action=action,
            detail=detail,
            via=via,
        )

    def audit_record(
        self, user: str, container: ContainerRef, action: str, detail: str, via: str | None
    ) -> None:
        """Record something done at once (a line typed in a shell), as done."""
        if self.audit is None:
            return
        entry = self.audit.start(
            user=user,
            container_id=container.id,
            container_name=container.name,
            action=action,
            detail=detail,
            via=via,
        )
        self.audit.finish(entry, "ok")

    def audit_finish(self, entry: str | None, result: str, **details: Any) -> None:
        """Record how an audited action ended."""
        if entry is not None and self.audit is not None:
            self.audit.finish(entry, result, **details)

    def audit_failure(self, entry: str | None, exc: LittleWingsError) -> None:
        """Record a refusal as ``denied``, any other failure as ``error``."""
        refused = isinstance(exc, (Forbidden, RateLimited, TooManyCommands))
        self.audit_finish(entry, "denied" if refused else "error", error=exc.message)

    async def power(
        self, actor: Actor, container: ContainerRef, action: str, via: str | None = None
    ) -> dict[str, Any]:
        """Run a power action for ``actor``: checked, audited; the container's new summary."""
        entry = self.audit_start(actor, container, "power", action, via)
        try:
            await self.check_write(actor, f"'{action}'")
            engine = self.slot(container.engine).engine
            podman = await self.run(lambda: engine.kind) == "podman"
            # A death asked for is no news: dockerd says "kill" before each (the alert rules
            # hear it); Podman says nothing before a stop's or a restart's, so it is said here
            # (not for Docker too: one death would be expected twice, and the second would
            # hide a real one).
            expect = self.expect_death if podman and action in ("stop", "restart") else None
            if expect:
                expect(container, True)
            try:
                summary = await self.run(engine.power, container.id, action)
            except LittleWingsError:
                if expect:
                    expect(container, False)
                raise
        except LittleWingsError as exc:
            self.audit_failure(entry, exc)
            raise
        self.audit_finish(entry, "ok")
        # Podman sends no "stop" event for a stop through its API (only "died"): say it, as
        # dockerd does, for the stops asked here.
        if action == "stop" and podman and self.announce:
            self.announce(container, "stop")
        return summary

    async def node_availability(
        self, actor: Actor, engine: str, node: str, availability: str, via: str | None = None
    ) -> dict[str, Any]:
        """Set a Swarm node's availability for ``actor``: checked as a power action is (it
        stops or moves every task on the node), audited; the node's summary afterwards."""
        slot = self.slot(engine)
        target = ContainerRef(node, f"node {node}", False, False, "", engine=slot.name)
        entry = self.audit_start(actor, target, "node", availability, via)
        try:
            await self.check_write(actor, f"node availability '{availability}'")
            summary = await self.run(slot.engine.swarm.set_node_availability, node, availability)
        except LittleWingsError as exc:
            self.audit_failure(entry, exc)
            raise
        self.audit_finish(entry, "ok")
        return summary

    async def check_manage(self, actor: Actor, what: str) -> None:
        await self.check_write(actor, what)
        if not self.limits.manage_enabled:
            raise Forbidden(
                f"Creating and removing containers is disabled on this server (manage_enabled): "
                f"{what}."
            )

    async def create(
        self, actor: Actor, data: Any, via: str | None = None, engine: str = ""
    ) -> dict[str, Any]:
        """Create (and start) a container for ``actor`` from a JSON description: checked
        against the server's policy, labelled with its creator, audited; its summary."""
        slot = self.slot(engine)
        spec = parse_spec(data)
        name = spec.name or "(new)"
        pending = ContainerRef(
            id="", name=name, tty=spec.tty, open_stdin=spec.stdin_open, state="", engine=slot.name
        )
        entry = self.audit_start(actor, pending, "create", spec.summary(), via)
        try:
            await self.check_manage(actor, "creating a container")
            policy = self.limits.policy()
            check_policy(spec, policy)
            spec = await self._resolve_joins(slot, spec)
            named = [source for source in spec.volumes if not source.startswith("/")]
            if named:
                bound = await self.run(slot.engine.volume_host_paths, named)
                for volume, path in bound.items():
                    check_host_path(path, policy, volume)
            labels = {
                **visible_labels(slot.engine.visibility, spec),
                CREATED_BY_LABEL: actor.user_name,
            }
            summary = await self.run(slot.engine.create, spec, labels)
        except LittleWingsError as exc:
            self.audit_failure(entry, exc)
            raise
        self.audit_finish(entry, "ok", container_id=summary["id"], container_name=summary["name"])
        return summary

    async def _resolve_joins(self, slot: EngineSlotLike, spec: ContainerSpec) -> ContainerSpec:
        """``container:<x>`` namespaces name a visible container, by its full id (Docker would
        resolve a name itself, hidden containers included); a hidden one is answered like a
        missing one."""
        changes: dict[str, Any] = {}
        for name, target in spec.joined_containers().items():
            try:
                ref = await self.run(slot.engine.resolve, target)
            except ContainerNotFound:
                raise InvalidField(name, f"no container {target!r} to join.") from None
            changes[name] = f"container:{ref.id}"
        return dataclasses.replace(spec, **changes) if changes else spec

    async def remove(
        self,
        actor: Actor,
        container: ContainerRef,
        force: bool = False,
        volumes: bool = False,
        via: str | None = None,
    ) -> dict[str, Any]:
        """Remove a container for ``actor`` (``force``: a running one too; ``volumes``: its
        anonymous volumes), audited."""
        detail = " ".join(w for w, on in (("force", force), ("volumes", volumes)) if on)
        entry = self.audit_start(actor, container, "remove", detail or "-", via)
        try:
            await self.check_manage(actor, "removing a container")
            removed = await self.run(
                self.slot(container.engine).engine.remove, container.id, force, volumes
            )
        except LittleWingsError as exc:
            self.audit_failure(entry, exc)
            raise
        self.audit_finish(entry, "ok")
        return removed

    async def change_file(
        self,
        actor: Actor,
        container: ContainerRef,
        action: str,
        path: str,
        via: str | None,
        fn: Callable[..., T],
        *args: Any,
    ) -> T:
        """A change to a container's files (write, mkdir, rename, delete): checked, audited."""
        entry = self.audit_start(actor, container, action, path, via)
        try:
            await self.check_write(actor, f"changing files ({action})")
            result = await self.run(fn, container.id, *args)
        except LittleWingsError as exc:
            self.audit_failure(entry, exc)
            raise
        self.audit_finish(entry, "ok")
        return result


__all__ = ["CREATED_BY_LABEL", "Actions", "visible_labels"]

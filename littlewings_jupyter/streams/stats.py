"""One Docker stats stream per container, and the numbers ``docker stats`` shows."""

from __future__ import annotations

import time
from typing import Any, Callable

from ..docker.engine import DockerEngine
from ..errors import ContainerNotFound, LittleWingsError
from .base import JSONLinesThread


def compute_stats(sample: dict[str, Any]) -> dict[str, Any]:
    """The numbers a console shows, computed from one Docker stats sample as the CLI does (or
    read from one of Podman's own, as ``podman stats`` shows them)."""
    if "Stats" in sample:
        return _podman_stats(sample)
    cpu = sample.get("cpu_stats") or {}
    precpu = sample.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (
        precpu.get("cpu_usage") or {}
    ).get("total_usage", 0)
    system_delta = (cpu.get("system_cpu_usage") or 0) - (precpu.get("system_cpu_usage") or 0)
    online = (
        cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    )
    cpu_percent = (
        (cpu_delta / system_delta) * online * 100.0 if system_delta > 0 and cpu_delta > 0 else 0.0
    )
    memory = sample.get("memory_stats") or {}
    mem_stats = memory.get("stats") or {}
    cache = mem_stats.get(
        "inactive_file", mem_stats.get("total_inactive_file", mem_stats.get("cache", 0))
    )
    usage = max((memory.get("usage") or 0) - (cache or 0), 0)
    limit = memory.get("limit") or 0
    rx = tx = 0
    for net in (sample.get("networks") or {}).values():
        rx += net.get("rx_bytes", 0)
        tx += net.get("tx_bytes", 0)
    read = write = 0
    for entry in (sample.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        op = str(entry.get("op", "")).lower()
        if op == "read":
            read += entry.get("value", 0)
        elif op == "write":
            write += entry.get("value", 0)
    return {
        "time": time.time(),
        "cpu_percent": round(cpu_percent, 2),
        "memory": {
            "usage": usage,
            "limit": limit,
            "percent": round(usage / limit * 100.0, 2) if limit else 0.0,
        },
        "network": {"rx_bytes": rx, "tx_bytes": tx},
        "block_io": {"read_bytes": read, "write_bytes": write},
        "pids": (sample.get("pids_stats") or {}).get("current", 0),
    }


def _podman_stats(sample: dict[str, Any]) -> dict[str, Any]:
    """One sample of Podman's ``/libpod/containers/stats`` (its fields are what ``podman stats``
    prints: CPU % of one core since the last sample, memory without the page cache)."""
    stats = (sample.get("Stats") or [{}])[0] or {}
    usage = int(stats.get("MemUsage") or 0)
    limit = int(stats.get("MemLimit") or 0)
    return {
        "time": time.time(),
        "cpu_percent": round(float(stats.get("CPU") or 0.0), 2),
        "memory": {
            "usage": usage,
            "limit": limit,
            "percent": round(usage / limit * 100.0, 2) if limit else 0.0,
        },
        "network": {
            "rx_bytes": int(stats.get("NetInput") or 0),
            "tx_bytes": int(stats.get("NetOutput") or 0),
        },
        "block_io": {
            "read_bytes": int(stats.get("BlockInput") or 0),
            "write_bytes": int(stats.get("BlockOutput") or 0),
        },
        "pids": int(stats.get("PIDs") or 0),
    }


class StatsFollower(JSONLinesThread):
    """One Docker stats stream for one container, shared by every client that asked for stats.

    ``deliver`` gets each computed ``stats`` sample in the follower's thread; it returns False
    (or raises ReferenceError, for a weakly held receiver) to stop the follower.
    """

    name = "littlewings-stats"

    def __init__(
        self,
        engine: DockerEngine,
        container_id: str,
        deliver: Callable[[dict[str, Any]], bool | None],
        name: str | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.container_id = container_id
        self.deliver = deliver
        if name:
            self.name = name

    def _handle(self, sample: dict[str, Any]) -> None:
        if self.stopped:
            return
        try:
            keep = self.deliver(compute_stats(sample))
        except ReferenceError:
            keep = False
        if keep is False:
            self.stop()

    def run(self) -> None:
        while not self.stopped:
            try:
                stream = self.engine.open_stats(self.container_id)
            except ContainerNotFound:
                return
            except LittleWingsError:
                self._sleep(2.0)
                continue
            if not self._set_stream(stream):
                return
            self._read_json(stream, self._handle)
            self._set_stream(None)
            stream.close()
            self._sleep(1.0)

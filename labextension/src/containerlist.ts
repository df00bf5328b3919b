/**
 * The rows of the Containers sidebar's list: what it shows (engines, then Compose projects, Swarm
 * services and containers, in natural order), built from the model's state without a DOM. The
 * virtual list (virtuallist.ts) puts only the rows in sight in the DOM.
 */
import { IContainerSummary } from './console';

/** An engine as `list` / `GET api/littlewings/containers` describe it (`engines`). */
export interface IEngineState {
  name: string;
  url?: string;
  /** A Swarm engine given several managers: all of them (`url` is the one read now). */
  urls?: string[];
  source?: string;
  tls?: boolean;
  reachable: boolean;
  error?: string | null;
  containers?: number;
  running?: number;
  /** `manager` or `worker` on a Swarm node. */
  swarm?: string | null;
  /** Which engine answers: `docker` or `podman` (when it answered). */
  kind?: string | null;
  /** Its release (`28.5.1`, `4.3.1`). */
  version?: string | null;
  [key: string]: unknown;
}

/** An engine's kind and release as its header says it: `Podman 4.3.1`, `Docker 28.5.1`. */
export function engineRelease(engine: IEngineState): string {
  if (!engine.kind) {
    return '';
  }
  const kind = engine.kind === 'podman' ? 'Podman' : 'Docker';
  return engine.version ? `${kind} ${engine.version}` : kind;
}

/** A Swarm service as `services` / `GET api/littlewings/services` list it. */
export interface IServiceSummary {
  id: string;
  name: string;
  image?: string;
  mode?: string;
  /** Desired tasks; null for a global service. */
  replicas?: number | null;
  running?: number;
  update_state?: string | null;
  update_message?: string | null;
  engine?: string;
  [key: string]: unknown;
}

/** A Swarm node as `nodes` / `GET api/littlewings/nodes` list it. */
export interface INodeSummary {
  id: string;
  hostname: string;
  role?: string;
  leader?: boolean;
  availability?: string;
  state?: string;
  engine_version?: string;
  address?: string;
  tasks?: { id: string; name: string; service?: string; state?: string }[];
  engine?: string;
  [key: string]: unknown;
}

/** One row of the list. */
export type ListRow =
  | {
      kind: 'engine';
      key: string;
      engine: IEngineState;
      shown: number;
      running: number;
      collapsed: boolean;
    }
  | {
      /** A Compose project's or a Podman pod's header (`project` is its name). */
      kind: 'project';
      key: string;
      engine: string;
      group: GroupKind;
      project: string;
      shown: number;
      running: number;
      collapsed: boolean;
      depth: number;
    }
  | {
      kind: 'services';
      key: string;
      engine: string;
      services: IServiceSummary[];
      collapsed: boolean;
      depth: number;
    }
  | {
      kind: 'service';
      key: string;
      engine: string;
      service: IServiceSummary;
      depth: number;
    }
  | {
      kind: 'nodes';
      key: string;
      engine: string;
      nodes: INodeSummary[];
      collapsed: boolean;
      depth: number;
    }
  | {
      kind: 'node';
      key: string;
      engine: string;
      node: INodeSummary;
      depth: number;
    }
  | {
      kind: 'container';
      key: string;
      container: IContainerSummary;
      depth: number;
    }
  | { kind: 'note'; key: string; text: string; depth: number };

/** Heights in pixels (fixed per kind: the offsets of 5,000 rows are a sum, not a layout). */
export const ROW_HEIGHTS: Record<ListRow['kind'], number> = {
  engine: 40,
  project: 30,
  services: 30,
  service: 40,
  nodes: 30,
  node: 40,
  container: 40,
  note: 28
};

/** Names in natural order: `web-2` before `web-10`, case and accents aside. */
export const naturalCollator = new Intl.Collator(undefined, {
  numeric: true,
  sensitivity: 'base'
});

/** Compare two names naturally (ties broken by code units, so the order is total). */
export function naturalCompare(a: string, b: string): number {
  return naturalCollator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The key of a container in the list: its engine and its id (ids are per engine). */
export function containerKey(
  c: Pick<IContainerSummary, 'id' | 'engine'>
): string {
  return `c:${String(c.engine ?? '')}:${c.id}`;
}

/** The collapse key of an engine, a project of an engine, an engine's services. */
export function engineKey(engine: string): string {
  return `e:${engine}`;
}
export function projectKey(
  engine: string,
  project: string,
  group: GroupKind = 'project'
): string {
  return group === 'pod' ? `d:${engine}:${project}` : `p:${engine}:${project}`;
}

/** The kinds of groups in an engine's list. */
export type GroupKind = 'project' | 'pod';

/**
 * The group a container is listed in: its Compose project, else its Podman pod (a pod that
 * podman-compose made holds a project's containers, which are shown as the project).
 */
export function groupOf(c: IContainerSummary): {
  kind: GroupKind;
  name: string;
} {
  if (c.compose_project) {
    return { kind: 'project', name: c.compose_project };
  }
  return c.pod
    ? { kind: 'pod', name: String(c.pod) }
    : { kind: 'project', name: '' };
}

function groupRank(c: IContainerSummary): number {
  return !c.compose_project && c.pod ? 1 : 0;
}
export function nodesKey(engine: string): string {
  return `o:${engine}`;
}
export function servicesKey(engine: string): string {
  return `s:${engine}`;
}

/** What the rows are made of. */
export interface IRowsInput {
  /** Every container, already in list order (see `sortContainers`). */
  containers: IContainerSummary[];
  /** The engines in the server's order, the default first. */
  engines: IEngineState[];
  /** The services of engines that are Swarm managers. */
  services: ReadonlyMap<string, IServiceSummary[]>;
  /** The nodes of engines that are Swarm managers (by hostname). */
  nodes?: ReadonlyMap<string, INodeSummary[]>;
  /** The filter, lower case and trimmed ('' for none). */
  term: string;
  /** Collapsed engines, projects and service groups (by key). */
  collapsed: Set<string>;
}

/** The order of the list: engine order, project or pod (neither last; a project before a pod
 * of the same name), natural name, id. */
export function containerOrder(
  engines: IEngineState[]
): (a: IContainerSummary, b: IContainerSummary) => number {
  const rank = new Map(engines.map((e, i) => [e.name, i]));
  const engineRank = (c: IContainerSummary) =>
    rank.get(String(c.engine ?? '')) ?? engines.length;
  return (a, b) =>
    engineRank(a) - engineRank(b) ||
    projectOrder(groupOf(a).name, groupOf(b).name) ||
    groupRank(a) - groupRank(b) ||
    naturalCompare(a.name, b.name) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Sort containers as the list shows them (see `containerOrder`). */
export function sortContainers(
  containers: IContainerSummary[],
  engines: IEngineState[]
): IContainerSummary[] {
  return [...containers].sort(containerOrder(engines));
}

/**
 * A sorted list with some containers changed: those leave it and come back at their places
 * (binary search), which costs far less than sorting 5,000 again for a few events.
 */
export function resort(
  sorted: IContainerSummary[],
  changed: Set<string>,
  current: Map<string, IContainerSummary>,
  engines: IEngineState[],
  /** Whether some changed container was in `sorted` (else they are all new: no removal). */
  replaced = true
): IContainerSummary[] {
  const order = containerOrder(engines);
  const kept = replaced
    ? sorted.filter(c => !changed.has(containerKey(c)))
    : [...sorted];
  for (const key of changed) {
    const c = current.get(key);
    if (!c) {
      continue;
    }
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order(kept[mid], c) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    kept.splice(lo, 0, c);
  }
  return kept;
}

/** Projects by name, the containers of no project last. */
export function projectOrder(a: string, b: string): number {
  return a === b ? 0 : a === '' ? 1 : b === '' ? -1 : naturalCompare(a, b);
}

const haystacks = new WeakMap<IContainerSummary, string>();

/** Whether a container matches the filter (name, image, project, service, short id, state). */
export function matches(c: IContainerSummary, term: string): boolean {
  let hay = haystacks.get(c);
  if (hay === undefined) {
    hay = [
      c.name,
      c.image,
      c.compose_project,
      c.compose_service,
      c.pod,
      c.id.slice(0, 12),
      c.state
    ]
      .filter(Boolean)
      .map(v => String(v).toLowerCase())
      .join('\n');
    haystacks.set(c, hay);
  }
  return hay.includes(term);
}

function serviceMatches(s: IServiceSummary, term: string): boolean {
  return [s.name, s.image, s.update_state]
    .filter(Boolean)
    .some(v => String(v).toLowerCase().includes(term));
}

/**
 * The rows of the list. With one engine there is no engine header (the list looks as it did
 * before engines); with several each engine heads its projects, services and containers.
 */
export function buildRows(input: IRowsInput): ListRow[] {
  const { engines, term, collapsed } = input;
  const several = engines.length > 1;
  const byEngine = new Map<string, IContainerSummary[]>();
  for (const e of engines) {
    byEngine.set(e.name, []);
  }
  for (const c of input.containers) {
    if (term && !matches(c, term)) {
      continue;
    }
    const name = String(c.engine ?? '');
    // A container of an engine the list does not know (older server): the first engine's.
    const key = byEngine.has(name) ? name : (engines[0]?.name ?? name);
    if (!byEngine.has(key)) {
      byEngine.set(key, []);
    }
    byEngine.get(key)!.push(c);
  }
  const rows: ListRow[] = [];
  const states = new Map(engines.map(e => [e.name, e]));
  for (const [name, members] of byEngine) {
    const engine = states.get(name) ?? { name, reachable: true };
    const services = (input.services.get(name) ?? []).filter(
      s => !term || serviceMatches(s, term)
    );
    let depth = 0;
    if (several) {
      const key = engineKey(name);
      const isCollapsed = collapsed.has(key);
      rows.push({
        kind: 'engine',
        key,
        engine,
        shown: members.length,
        running: members.filter(c => c.state === 'running').length,
        collapsed: isCollapsed
      });
      if (isCollapsed || !engine.reachable) {
        continue;
      }
      depth = 1;
      if (!members.length && !services.length) {
        rows.push({
          kind: 'note',
          key: `n:${name}`,
          text: term ? 'No container matches' : 'No containers',
          depth
        });
        continue;
      }
    }
    if (services.length) {
      const key = servicesKey(name);
      const isCollapsed = collapsed.has(key);
      rows.push({
        kind: 'services',
        key,
        engine: name,
        services,
        collapsed: isCollapsed,
        depth
      });
      if (!isCollapsed) {
        for (const service of services) {
          rows.push({
            kind: 'service',
            key: `v:${name}:${service.id || service.name}`,
            engine: name,
            service,
            depth: depth + 1
          });
        }
      }
    }
    const nodes = term ? [] : (input.nodes?.get(name) ?? []);
    if (nodes.length) {
      const key = nodesKey(name);
      const isCollapsed = collapsed.has(key);
      rows.push({
        kind: 'nodes',
        key,
        engine: name,
        nodes,
        collapsed: isCollapsed,
        depth
      });
      if (!isCollapsed) {
        for (const node of nodes) {
          rows.push({
            kind: 'node',
            key: `x:${name}:${node.id}`,
            engine: name,
            node,
            depth: depth + 1
          });
        }
      }
    }
    const grouped = members.some(c => !!groupOf(c).name) || services.length > 0;
    let i = 0;
    while (i < members.length) {
      const { kind: group, name: project } = groupOf(members[i]);
      const sameGroup = (c: IContainerSummary) => {
        const other = groupOf(c);
        return other.name === project && other.kind === group;
      };
      let j = i;
      let running = 0;
      while (j < members.length && sameGroup(members[j])) {
        if (members[j].state === 'running') {
          running++;
        }
        j++;
      }
      let isCollapsed = false;
      if (grouped) {
        const key = projectKey(name, project, group);
        isCollapsed = collapsed.has(key);
        rows.push({
          kind: 'project',
          key,
          engine: name,
          group,
          project,
          shown: j - i,
          running,
          collapsed: isCollapsed,
          depth
        });
      }
      if (!isCollapsed) {
        const childDepth = grouped ? depth + 1 : depth;
        for (let k = i; k < j; k++) {
          rows.push({
            kind: 'container',
            key: containerKey(members[k]),
            container: members[k],
            depth: childDepth
          });
        }
      }
      i = j;
    }
  }
  return rows;
}

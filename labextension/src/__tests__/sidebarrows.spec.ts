/**
 * `sameRow`: whether the sidebar's list may keep a row's node. A row's node is drawn from the
 * row's fields, so a change of any field must be noticed (else the list shows a stale row), and
 * a row built again from the same data must not be (else every update redraws every row).
 */
import {
  buildRows,
  IEngineState,
  INodeSummary,
  IServiceSummary,
  ListRow
} from '../containerlist';
import { IContainerSummary } from '../console/protocol';
import { sameRow } from '../sidebarrows';

const engine: IEngineState = { name: 'swarm', reachable: true };
const local: IEngineState = { name: 'local', reachable: true };
const web: IContainerSummary = {
  id: 'a'.repeat(64),
  name: 'web',
  state: 'running',
  engine: 'swarm',
  compose_project: 'shop'
};
const api: IServiceSummary = { id: 's1', name: 'api', replicas: 2 };
const worker: IServiceSummary = { id: 's2', name: 'worker', replicas: 1 };
const manager: INodeSummary = { id: 'n1', hostname: 'm1', state: 'ready' };

/** A row of every kind (the record makes a new kind fail to compile until it is added). */
const ROWS: { [kind in ListRow['kind']]: Extract<ListRow, { kind: kind }> } = {
  engine: {
    kind: 'engine',
    key: 'e:swarm',
    engine,
    shown: 3,
    running: 2,
    collapsed: false
  },
  project: {
    kind: 'project',
    key: 'p:swarm:shop',
    engine: 'swarm',
    group: 'project',
    project: 'shop',
    shown: 3,
    running: 2,
    collapsed: false,
    depth: 1
  },
  services: {
    kind: 'services',
    key: 's:swarm',
    engine: 'swarm',
    services: [api, worker],
    collapsed: false,
    depth: 1
  },
  service: {
    kind: 'service',
    key: 'v:swarm:s1',
    engine: 'swarm',
    service: api,
    depth: 2
  },
  nodes: {
    kind: 'nodes',
    key: 'x:swarm',
    engine: 'swarm',
    nodes: [manager],
    collapsed: false,
    depth: 1
  },
  node: {
    kind: 'node',
    key: 'x:swarm:n1',
    engine: 'swarm',
    node: manager,
    depth: 2
  },
  container: { kind: 'container', key: 'c:swarm:a', container: web, depth: 2 },
  note: { kind: 'note', key: 'n:swarm', text: 'No containers', depth: 1 }
};

/** Another value for a field, as a new build of the rows would bring it. */
function changed(value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      return value + 1;
    case 'string':
      return `${value}-changed`;
    case 'boolean':
      return !value;
    default:
      // A list with an item replaced; a summary replaced (summaries are never changed in place).
      return Array.isArray(value)
        ? [...value.slice(0, -1), { ...value[value.length - 1] }]
        : { ...(value as object) };
  }
}

describe('sameRow', () => {
  const rows = Object.values(ROWS) as ListRow[];

  it.each(rows.map(row => [row.kind, row] as const))(
    'keeps a %s row built again with the same values',
    (_, row) => {
      const copy = { ...row } as ListRow;
      for (const [field, value] of Object.entries(copy)) {
        if (Array.isArray(value)) {
          // The lists are made anew with each build of the rows.
          (copy as unknown as Record<string, unknown>)[field] = [...value];
        }
      }
      expect(sameRow(row, copy)).toBe(true);
    }
  );

  const changes = rows.flatMap(row =>
    Object.keys(row)
      .filter(field => field !== 'kind')
      .map(field => [row.kind, field, row] as const)
  );
  it.each(changes)('notices a %s row whose %s changed', (_, field, row) => {
    const other = {
      ...row,
      [field]: changed((row as unknown as Record<string, unknown>)[field])
    } as ListRow;
    expect(sameRow(row, other)).toBe(false);
    expect(sameRow(other, row)).toBe(false);
  });

  it('notices a row of another kind under the same key', () => {
    const note: ListRow = { ...ROWS.note, key: ROWS.engine.key };
    expect(sameRow(ROWS.engine, note)).toBe(false);
  });

  it('notices a list that lost or gained an item', () => {
    const fewer: ListRow = { ...ROWS.services, services: [api] };
    expect(sameRow(ROWS.services, fewer)).toBe(false);
    expect(sameRow(fewer, ROWS.services)).toBe(false);
  });

  it('keeps every row when the same data is listed again', () => {
    const input = () => ({
      containers: [web],
      engines: [engine, local],
      services: new Map([['swarm', [api, worker]]]),
      nodes: new Map([['swarm', [manager]]]),
      term: '',
      collapsed: new Set<string>()
    });
    const before = buildRows(input());
    const after = buildRows(input());
    expect(after.map(row => row.kind)).toEqual(
      expect.arrayContaining(['engine', 'services', 'service', 'nodes', 'node'])
    );
    expect(after.filter((row, i) => !sameRow(before[i], row))).toEqual([]);
  });
});

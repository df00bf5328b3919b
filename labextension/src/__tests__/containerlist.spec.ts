/**
 * The Containers sidebar's rows: their order (engines, Compose projects, natural names) and
 * what `buildRows` makes of containers, engines, services, a filter and collapsed groups.
 */
import {
  buildRows,
  containerKey,
  engineRelease,
  IEngineState,
  IRowsInput,
  INodeSummary,
  IServiceSummary,
  ListRow,
  naturalCompare,
  resort,
  sortContainers
} from '../containerlist';
import { IContainerSummary } from '../console/protocol';

let nextId = 0;

/** A container summary; the id is unique unless given. */
function container(
  name: string,
  extra: Partial<IContainerSummary> = {}
): IContainerSummary {
  nextId++;
  return {
    id: `${nextId.toString(16).padStart(12, '0')}${'f'.repeat(52)}`,
    name,
    state: 'running',
    ...extra
  };
}

function engine(name: string, extra: Partial<IEngineState> = {}): IEngineState {
  return { name, reachable: true, ...extra };
}

function rows(input: Partial<IRowsInput>): ListRow[] {
  return buildRows({
    containers: [],
    engines: [engine('local')],
    services: new Map(),
    term: '',
    collapsed: new Set(),
    ...input
  });
}

/** A row as `kind:label@depth`, to compare whole lists at a glance. */
function describeRow(row: ListRow): string {
  switch (row.kind) {
    case 'engine':
      return `engine:${row.engine.name} ${row.running}/${row.shown}${row.collapsed ? ' collapsed' : ''}`;
    case 'project':
      return `${row.group}:${row.project || '(none)'} ${row.running}/${row.shown}@${row.depth}${row.collapsed ? ' collapsed' : ''}`;
    case 'services':
      return `services:${row.services.map(s => s.name).join(',')}@${row.depth}`;
    case 'service':
      return `service:${row.service.name}@${row.depth}`;
    case 'nodes':
      return `nodes:${row.nodes.map(n => n.hostname).join(',')}@${row.depth}${row.collapsed ? ' collapsed' : ''}`;
    case 'node':
      return `node:${row.node.hostname}@${row.depth}`;
    case 'container':
      return `container:${row.container.name}@${row.depth}`;
    case 'note':
      return `note:${row.text}@${row.depth}`;
  }
}

const names = (list: IContainerSummary[]) => list.map(c => c.name);

/** A small deterministic generator (mulberry32), so that a failing order can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('naturalCompare', () => {
  it('puts a smaller number first whatever its digits', () => {
    const sorted = ['name-10', 'name-9', 'name-1', 'name-100', 'name-2'].sort(
      naturalCompare
    );
    expect(sorted).toEqual([
      'name-1',
      'name-2',
      'name-9',
      'name-10',
      'name-100'
    ]);
  });

  it('ignores case, but still tells names that differ only in case apart', () => {
    expect(naturalCompare('Web-2', 'web-10')).toBeLessThan(0);
    expect(naturalCompare('web-2', 'Web-10')).toBeLessThan(0);
    expect(naturalCompare('db', 'DB')).not.toBe(0);
    expect(Math.sign(naturalCompare('db', 'DB'))).toBe(
      -Math.sign(naturalCompare('DB', 'db'))
    );
    expect(naturalCompare('same', 'same')).toBe(0);
  });
});

describe('sortContainers', () => {
  const engines = [engine('local'), engine('remote')];

  it('orders by engine, then project (none last), then natural name', () => {
    const list = [
      container('web-10', { engine: 'local', compose_project: 'shop' }),
      container('lonely', { engine: 'local' }),
      container('worker', { engine: 'remote' }),
      container('web-9', { engine: 'local', compose_project: 'shop' }),
      container('api', { engine: 'local', compose_project: 'app-10' }),
      container('api', { engine: 'local', compose_project: 'app-9' }),
      container('alpha', { engine: 'local' })
    ];
    const sorted = sortContainers(list, engines);
    expect(
      sorted.map(c => `${c.engine}/${c.compose_project ?? ''}/${c.name}`)
    ).toEqual([
      'local/app-9/api',
      'local/app-10/api',
      'local/shop/web-9',
      'local/shop/web-10',
      'local//alpha',
      'local//lonely',
      'remote//worker'
    ]);
  });

  it('keeps the engines in the order given, not by name', () => {
    const list = [
      container('a', { engine: 'alpha' }),
      container('b', { engine: 'zulu' })
    ];
    expect(
      names(sortContainers(list, [engine('zulu'), engine('alpha')]))
    ).toEqual(['b', 'a']);
  });

  it('puts containers of an engine it does not know after the known ones', () => {
    const list = [
      container('x', { engine: 'gone' }),
      container('y', { engine: 'remote' }),
      container('z')
    ];
    expect(names(sortContainers(list, engines))).toEqual(['y', 'x', 'z']);
  });

  it('breaks a tie of equal names by id, so the order does not depend on the input', () => {
    const a = container('same', { id: 'aaa' });
    const b = container('same', { id: 'bbb' });
    expect(sortContainers([b, a], engines)).toEqual([a, b]);
    expect(sortContainers([a, b], engines)).toEqual([a, b]);
  });

  it('returns a new array and leaves its input as it was', () => {
    const list = [container('b'), container('a')];
    const before = [...list];
    const sorted = sortContainers(list, engines);
    expect(list).toEqual(before);
    expect(sorted).not.toBe(list);
    expect(names(sorted)).toEqual(['a', 'b']);
  });
});

describe('resort', () => {
  const engines = [engine('local'), engine('remote')];
  const byKey = (list: IContainerSummary[]) =>
    new Map(list.map(c => [containerKey(c), c]));

  it('moves a renamed container to its new place', () => {
    const list = ['app-1', 'app-2', 'app-3', 'app-10'].map(n => container(n));
    const sorted = sortContainers(list, engines);
    const renamed = { ...list[0], name: 'app-20' };
    const current = byKey([renamed, ...list.slice(1)]);
    const result = resort(
      sorted,
      new Set([containerKey(renamed)]),
      current,
      engines
    );
    expect(names(result)).toEqual(['app-2', 'app-3', 'app-10', 'app-20']);
  });

  it('drops a container that is no longer current', () => {
    const list = ['a', 'b', 'c'].map(n => container(n));
    const sorted = sortContainers(list, engines);
    const current = byKey([list[0], list[2]]);
    const result = resort(
      sorted,
      new Set([containerKey(list[1])]),
      current,
      engines
    );
    expect(names(result)).toEqual(['a', 'c']);
  });

  it('inserts new containers without removing any (replaced = false)', () => {
    const list = ['web-1', 'web-3'].map(n => container(n));
    const sorted = sortContainers(list, engines);
    const added = [
      container('web-2'),
      container('web-10'),
      container('db', { compose_project: 'p' })
    ];
    const current = byKey([...list, ...added]);
    const result = resort(
      sorted,
      new Set(added.map(containerKey)),
      current,
      engines,
      false
    );
    expect(names(result)).toEqual(['db', 'web-1', 'web-2', 'web-3', 'web-10']);
    expect(names(sorted)).toEqual(['web-1', 'web-3']);
  });

  it('gives the order a full sort gives, over many random changes', () => {
    const next = random(22);
    const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
    const projects = ['', '', 'shop', 'app-2', 'app-10'];
    const engineNames = ['local', 'remote', 'elsewhere'];
    const make = () =>
      container(`svc-${Math.floor(next() * 30)}`, {
        engine: pick(engineNames),
        compose_project: pick(projects) || null
      });
    const current = byKey(Array.from({ length: 200 }, make));
    let sorted = sortContainers([...current.values()], engines);
    for (let round = 0; round < 50; round++) {
      const changed = new Set<string>();
      const keys = [...current.keys()];
      for (let i = 0; i < 5; i++) {
        const roll = next();
        if (roll < 0.3) {
          const c = make();
          current.set(containerKey(c), c);
          changed.add(containerKey(c));
        } else if (roll < 0.5) {
          const key = pick(keys);
          current.delete(key);
          changed.add(key);
        } else {
          const key = pick(keys);
          const old = current.get(key);
          if (old) {
            current.set(key, {
              ...old,
              name: `svc-${Math.floor(next() * 30)}`
            });
            changed.add(key);
          }
        }
      }
      sorted = resort(sorted, changed, current, engines);
      expect(sorted.map(containerKey)).toEqual(
        sortContainers([...current.values()], engines).map(containerKey)
      );
    }
  });
});

describe('buildRows', () => {
  it('lists the containers of one engine without an engine header or groups', () => {
    const list = sortContainers(
      [container('b'), container('a')],
      [engine('local')]
    );
    expect(rows({ containers: list }).map(describeRow)).toEqual([
      'container:a@0',
      'container:b@0'
    ]);
  });

  it('groups an engine by Compose project, the containers of no project last', () => {
    const engines = [engine('local')];
    const list = sortContainers(
      [
        container('web-10', { compose_project: 'shop' }),
        container('web-9', { compose_project: 'shop', state: 'exited' }),
        container('db', { compose_project: 'shop' }),
        container('loose')
      ],
      engines
    );
    const result = rows({ containers: list, engines });
    expect(result.map(describeRow)).toEqual([
      'project:shop 2/3@0',
      'container:db@1',
      'container:web-9@1',
      'container:web-10@1',
      'project:(none) 1/1@0',
      'container:loose@1'
    ]);
    expect(result.map(r => r.key)).toEqual([
      'p:local:shop',
      containerKey(list[0]),
      containerKey(list[1]),
      containerKey(list[2]),
      'p:local:',
      containerKey(list[3])
    ]);
  });

  it('groups a Podman pod as a project, a pod of a Compose project as that project', () => {
    const engines = [engine('pod')];
    const list = sortContainers(
      [
        container('web', { engine: 'pod', pod: 'shop' }),
        container('db', { engine: 'pod', pod: 'shop', state: 'exited' }),
        // podman-compose: a project's containers in a pod of its own
        container('api', {
          engine: 'pod',
          compose_project: 'shop',
          pod: 'pod_shop'
        }),
        container('loose', { engine: 'pod' })
      ],
      engines
    );
    const result = rows({
      containers: list,
      engines,
      collapsed: new Set(['d:pod:nothing'])
    });
    expect(result.map(describeRow)).toEqual([
      'project:shop 1/1@0',
      'container:api@1',
      'pod:shop 1/2@0',
      'container:db@1',
      'container:web@1',
      'project:(none) 1/1@0',
      'container:loose@1'
    ]);
    // A pod's collapse key is not its namesake project's.
    expect(result.filter(r => r.kind === 'project').map(r => r.key)).toEqual([
      'p:pod:shop',
      'd:pod:shop',
      'p:pod:'
    ]);
    const collapsed = rows({
      containers: list,
      engines,
      collapsed: new Set(['d:pod:shop'])
    });
    expect(collapsed.map(describeRow)).toEqual([
      'project:shop 1/1@0',
      'container:api@1',
      'pod:shop 1/2@0 collapsed',
      'project:(none) 1/1@0',
      'container:loose@1'
    ]);
  });

  it('hides the containers of a collapsed project but still counts them', () => {
    const list = sortContainers(
      [
        container('a', { compose_project: 'one' }),
        container('b', { compose_project: 'two' }),
        container('c', { compose_project: 'two', state: 'exited' })
      ],
      [engine('local')]
    );
    const result = rows({
      containers: list,
      collapsed: new Set(['p:local:two'])
    });
    expect(result.map(describeRow)).toEqual([
      'project:one 1/1@0',
      'container:a@1',
      'project:two 1/2@0 collapsed'
    ]);
  });

  it('heads each of several engines, with its counts and its groups one level down', () => {
    const engines = [engine('local'), engine('remote')];
    const list = sortContainers(
      [
        container('r-2', { engine: 'remote', compose_project: 'p' }),
        container('r-1', { engine: 'remote', state: 'exited' }),
        container('l-1', { engine: 'local' })
      ],
      engines
    );
    expect(rows({ containers: list, engines }).map(describeRow)).toEqual([
      'engine:local 1/1',
      'container:l-1@1',
      'engine:remote 1/2',
      'project:p 1/1@1',
      'container:r-2@2',
      'project:(none) 0/1@1',
      'container:r-1@2'
    ]);
  });

  it('shows only the header of a collapsed or unreachable engine, and a note for an empty one', () => {
    const engines = [
      engine('local'),
      engine('down', { reachable: false, error: 'refused' }),
      engine('empty'),
      engine('folded')
    ];
    const list = sortContainers(
      [
        container('a', { engine: 'local' }),
        container('b', { engine: 'folded' }),
        container('c', { engine: 'folded' })
      ],
      engines
    );
    const result = rows({
      containers: list,
      engines,
      collapsed: new Set(['e:folded'])
    });
    expect(result.map(describeRow)).toEqual([
      'engine:local 1/1',
      'container:a@1',
      'engine:down 0/0',
      'engine:empty 0/0',
      'note:No containers@1',
      'engine:folded 2/2 collapsed'
    ]);
  });

  it('puts a container of an engine it does not know under the first engine', () => {
    const engines = [engine('local'), engine('remote')];
    const stray = container('stray', { engine: 'old-server' });
    const result = rows({ containers: [stray], engines });
    expect(result.map(describeRow)).toEqual([
      'engine:local 1/1',
      'container:stray@1',
      'engine:remote 0/0',
      'note:No containers@1'
    ]);
  });

  describe('the filter', () => {
    const engines = [engine('local'), engine('remote')];
    const web = container('web-1', {
      engine: 'local',
      image: 'nginx:1.25',
      compose_project: 'shop',
      compose_service: 'frontend'
    });
    const db = container('db', {
      engine: 'local',
      image: 'postgres:16',
      state: 'exited'
    });
    const list = sortContainers([web, db], engines);
    const shown = (term: string) =>
      rows({ containers: list, engines, term })
        .filter(r => r.kind === 'container')
        .map(r => (r.kind === 'container' ? r.container.name : ''));

    it('matches the name, image, project, service and state', () => {
      expect(shown('web')).toEqual(['web-1']);
      expect(shown('postgres')).toEqual(['db']);
      expect(shown('shop')).toEqual(['web-1']);
      expect(shown('frontend')).toEqual(['web-1']);
      expect(shown('exited')).toEqual(['db']);
      expect(shown('')).toEqual(['web-1', 'db']);
    });

    it('matches the short id only, not the rest of it', () => {
      expect(shown(db.id.slice(0, 12))).toEqual(['db']);
      expect(shown(db.id.slice(4, 16))).toEqual([]);
    });

    it('says when nothing of an engine matches, and counts only what matches', () => {
      expect(
        rows({ containers: list, engines, term: 'nginx' }).map(describeRow)
      ).toEqual([
        'engine:local 1/1',
        'project:shop 1/1@1',
        'container:web-1@2',
        'engine:remote 0/0',
        'note:No container matches@1'
      ]);
    });
  });

  describe('Swarm nodes', () => {
    const nodes: INodeSummary[] = [
      {
        id: 'n1',
        hostname: 'node-1',
        role: 'manager',
        leader: true,
        state: 'ready'
      },
      { id: 'n2', hostname: 'node-2', role: 'manager', state: 'down' }
    ];

    it('come after the services, in their own group that collapses', () => {
      const services: IServiceSummary[] = [{ id: 's1', name: 'api' }];
      const result = rows({
        services: new Map([['local', services]]),
        nodes: new Map([['local', nodes]])
      });
      expect(result.map(describeRow)).toEqual([
        'services:api@0',
        'service:api@1',
        'nodes:node-1,node-2@0',
        'node:node-1@1',
        'node:node-2@1'
      ]);
      expect(result[2].key).toBe('o:local');
      expect(result[3].key).toBe('x:local:n1');
      const collapsed = rows({
        nodes: new Map([['local', nodes]]),
        collapsed: new Set(['o:local'])
      });
      expect(collapsed.map(describeRow)).toEqual([
        'nodes:node-1,node-2@0 collapsed'
      ]);
      // A filter is about containers and services: the nodes step aside.
      expect(
        rows({ nodes: new Map([['local', nodes]]), term: 'node' })
      ).toEqual(rows({ term: 'node' }));
    });
  });

  describe('Swarm services', () => {
    const services: IServiceSummary[] = [
      { id: 's1', name: 'api', image: 'api:2', replicas: 3, running: 3 },
      { id: 's2', name: 'cache', image: 'redis:7', replicas: 1, running: 0 }
    ];

    it('come before the containers, which are then grouped even without a project', () => {
      const list = [container('task-1')];
      const result = rows({
        containers: list,
        services: new Map([['local', services]])
      });
      expect(result.map(describeRow)).toEqual([
        'services:api,cache@0',
        'service:api@1',
        'service:cache@1',
        'project:(none) 1/1@0',
        'container:task-1@1'
      ]);
      expect(result[1].key).toBe('v:local:s1');
    });

    it('are hidden when their group is collapsed, and filtered by name or image', () => {
      const collapsed = rows({
        services: new Map([['local', services]]),
        collapsed: new Set(['s:local'])
      });
      expect(collapsed.map(describeRow)).toEqual(['services:api,cache@0']);
      const filtered = rows({
        services: new Map([['local', services]]),
        term: 'redis'
      });
      expect(filtered.map(describeRow)).toEqual([
        'services:cache@0',
        'service:cache@1'
      ]);
    });
  });

  it('gives every row a different key', () => {
    const engines = [engine('local'), engine('remote')];
    const list = sortContainers(
      Array.from({ length: 60 }, (_, i) =>
        container(`c-${i % 7}`, {
          engine: i % 2 ? 'remote' : 'local',
          compose_project: i % 3 ? `p-${i % 4}` : null
        })
      ),
      engines
    );
    const keys = rows({ containers: list, engines }).map(r => r.key);
    expect(keys.length).toBeGreaterThan(60);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('engineRelease', () => {
  it('says the kind and release of an engine that answered', () => {
    const podman = {
      name: 'pod',
      reachable: true,
      kind: 'podman',
      version: '4.3.1'
    };
    expect(engineRelease(podman)).toBe('Podman 4.3.1');
    expect(engineRelease({ ...podman, kind: 'docker', version: null })).toBe(
      'Docker'
    );
    expect(engineRelease({ name: 'away', reachable: false })).toBe('');
  });
});

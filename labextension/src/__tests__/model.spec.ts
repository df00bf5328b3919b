/**
 * The containers model over a fake events socket and fake REST calls: what it loads, how
 * Docker's events change it (also while a list is on its way), engines that go and come back,
 * power actions, and the problems it reports.
 */
import { Signal } from '@lumino/signaling';

import { IEngineStatus, LittleWingsAPIError } from '../api';
import { IContainerSummary, ServerMessage } from '../console/protocol';
import { IConnectionStatus } from '../console/socket';
import { IEngineState, IServiceSummary } from '../containerlist';
import { ContainersModel } from '../model';
import { IContainersModel } from '../tokens';

/** An events socket that the test drives: it opens, says things, and records what is sent. */
class FakeTransport implements ContainersModel.ITransport {
  readonly opened = new Signal<this, unknown>(this);
  readonly messageReceived = new Signal<this, ServerMessage>(this);
  readonly statusChanged = new Signal<this, IConnectionStatus>(this);
  status: IConnectionStatus = { phase: 'closed', attempt: 0 };
  sent: { type: string; [key: string]: unknown }[] = [];
  starts = 0;
  stops = 0;

  start(): void {
    this.starts++;
    this.setStatus({ phase: 'connecting', attempt: 0 });
  }

  stop(): void {
    this.stops++;
    this.setStatus({ phase: 'closed', attempt: 0 });
  }

  send(message: { type: string; [key: string]: unknown }): boolean {
    this.sent.push(message);
    return this.status.phase === 'open';
  }

  open(): void {
    this.setStatus({ phase: 'open', attempt: 0 });
    this.opened.emit({});
  }

  setStatus(status: IConnectionStatus): void {
    this.status = status;
    this.statusChanged.emit(status);
  }

  say(message: Record<string, unknown>): void {
    this.messageReceived.emit(message as unknown as ServerMessage);
  }
}

/** A promise the test resolves or rejects when it wants. */
interface IDeferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): IDeferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

type Listing = { containers: IContainerSummary[]; engines: IEngineState[] };

/** A REST server in memory: what it lists, and every call it was asked. */
class FakeServer {
  status: IEngineStatus = status();
  engines: IEngineState[] = [{ name: 'local', reachable: true }];
  containers: IContainerSummary[] = [];
  services = new Map<string, IServiceSummary[]>();
  /** A list answer held back until the test resolves it (one per call, in order). */
  held: IDeferred<Listing>[] = [];
  /** An error to answer `status` with, while set. */
  statusError: unknown = null;
  powerReply: Record<string, unknown> | Error | null = null;
  calls: string[] = [];

  readonly api: ContainersModel.IRest = {
    fetchStatus: async () => {
      this.calls.push('status');
      if (this.statusError) {
        throw this.statusError;
      }
      return this.status;
    },
    fetchContainers: async (engine = '') => {
      this.calls.push(`containers ${engine}`.trim());
      const held = this.held.shift();
      if (held) {
        return held.promise;
      }
      return this.listing(engine);
    },
    fetchServices: async engine => {
      this.calls.push(`services ${engine}`);
      return this.services.get(engine) ?? [];
    },
    powerContainer: async (id, action, engine) => {
      this.calls.push(`power ${id} ${action} ${engine}`.trim());
      if (this.powerReply instanceof Error) {
        throw this.powerReply;
      }
      return this.powerReply;
    }
  };

  listing(engine = ''): Listing {
    return {
      containers: this.containers.filter(c => !engine || c.engine === engine),
      engines: this.engines.filter(e => !engine || e.name === engine)
    };
  }
}

function status(write = true, read = true): IEngineStatus {
  return {
    available: true,
    permissions: { read, write },
    portProxy: null,
    raw: {}
  };
}

function container(
  name: string,
  extra: Partial<IContainerSummary> = {}
): IContainerSummary {
  return {
    id: `${name}-${'0'.repeat(60)}`,
    name,
    state: 'running',
    engine: 'local',
    ...extra
  };
}

/** Let every pending promise callback run (the fake calls answer at once). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

const names = (list: IContainerSummary[]) => list.map(c => c.name);

describe('ContainersModel', () => {
  let server: FakeServer;
  let transport: FakeTransport;
  let model: ContainersModel;
  let changes: IContainersModel.Change[];

  beforeEach(() => {
    jest.useFakeTimers();
    server = new FakeServer();
    transport = new FakeTransport();
    model = new ContainersModel({ transport, api: server.api });
    changes = [];
    model.changed.connect((_, change) => changes.push(change));
  });

  afterEach(() => {
    model.dispose();
    jest.useRealTimers();
  });

  it('loads the status and the list, and starts the socket once started', async () => {
    server.containers = [container('web'), container('db')];
    expect(model.loaded).toBe(false);
    model.start();
    expect(transport.starts).toBe(1);
    expect(model.loading).toBe(true);
    await settle();
    expect(model.loaded).toBe(true);
    expect(model.loading).toBe(false);
    expect(model.problem).toBeNull();
    expect(model.defaultEngine).toBe('local');
    expect(names(model.ordered())).toEqual(['db', 'web']);
    expect(changes[0]).toBe('loading');
    expect(changes[changes.length - 1]).toBe('refreshed');
    expect(server.calls.slice(0, 2)).toEqual(['status', 'containers']);
  });

  it('asks for events and loads again whenever the socket (re)opens', async () => {
    model.start();
    await settle();
    server.containers = [container('late')];
    transport.open();
    await settle();
    expect(transport.sent).toContainEqual({ type: 'events', enabled: true });
    expect(names(model.containers)).toEqual(['late']);
  });

  it('passes the connection state on', () => {
    const seen: string[] = [];
    model.connectionChanged.connect((_, s) => seen.push(s.phase));
    transport.setStatus({ phase: 'waiting', attempt: 1, reason: 'gone' });
    expect(seen).toEqual(['waiting']);
    expect(model.connection.phase).toBe('waiting');
  });

  it("applies Docker's events: a new container, a change, a removal", async () => {
    server.containers = [container('b')];
    await model.refresh();
    transport.say({
      type: 'container_event',
      event: 'create',
      container: container('a', { state: 'created' })
    });
    expect(names(model.ordered())).toEqual(['a', 'b']);
    expect(changes).toContain('containers');
    transport.say({
      type: 'container_event',
      event: 'die',
      container: container('b', { state: 'exited' })
    });
    expect(model.find('b')?.state).toBe('exited');
    transport.say({
      type: 'container_event',
      event: 'destroy',
      container: container('a')
    });
    expect(names(model.ordered())).toEqual(['b']);
    // An event without an engine is of the default engine.
    transport.say({
      type: 'container_event',
      event: 'create',
      container: { id: 'c'.repeat(64), name: 'c', state: 'created' }
    });
    expect(model.find('c')?.engine).toBe('local');
  });

  it('keeps an event that comes while a list is on its way', async () => {
    server.containers = [container('old')];
    const list = deferred<Listing>();
    server.held.push(list);
    const refreshed = model.refresh();
    await settle();
    // The list was taken before this container was created; its event came meanwhile.
    transport.say({
      type: 'container_event',
      event: 'create',
      container: container('new')
    });
    list.resolve(server.listing());
    await refreshed;
    expect(names(model.ordered())).toEqual(['new', 'old']);
  });

  it('replaces the whole list on a containers frame', async () => {
    server.containers = [container('a')];
    await model.refresh();
    transport.say({
      type: 'containers',
      containers: [container('x'), container('y')],
      engines: [{ name: 'local', reachable: true }]
    });
    expect(names(model.ordered())).toEqual(['x', 'y']);
  });

  it('finds containers by name, id and id prefix, on the default engine first', async () => {
    server.engines = [
      { name: 'local', reachable: true },
      { name: 'remote', reachable: true }
    ];
    const here = container('web');
    const there = container('web', { id: 'f'.repeat(64), engine: 'remote' });
    server.containers = [there, here];
    await model.refresh();
    expect(model.find('web')).toBe(model.get(`c:local:${here.id}`));
    expect(model.find('web')?.engine).toBe('local');
    expect(model.find('web', 'remote')?.id).toBe(there.id);
    expect(model.find('ffff')?.id).toBe(there.id);
    expect(model.find('nothing')).toBeNull();
    expect(model.engineOf(model.find('web'))).toBe('');
    expect(model.engineOf(model.find('web', 'remote'))).toBe('remote');
  });

  it("marks a container busy during a power action and takes the reply's state", async () => {
    server.containers = [container('web')];
    await model.refresh();
    const web = model.find('web')!;
    server.powerReply = {
      state: 'exited',
      container: { status: 'Exited (0)' }
    };
    const done = model.power(web, 'stop');
    expect(model.isBusy(web)).toBe(true);
    await done;
    expect(model.isBusy(web)).toBe(false);
    expect(server.calls).toContain(`power ${web.id} stop`);
    const after = model.find('web')!;
    expect(after.state).toBe('exited');
    expect(after.status).toBe('Exited (0)');
    expect(after.engine).toBe('local');
    expect(changes.filter(c => c === 'busy')).toHaveLength(2);
  });

  it('rejects a refused power action and is no longer busy', async () => {
    server.containers = [container('web')];
    await model.refresh();
    const web = model.find('web')!;
    server.powerReply = new LittleWingsAPIError('it is exited', 409, null);
    await expect(model.power(web, 'stop')).rejects.toThrow('it is exited');
    expect(model.isBusy(web)).toBe(false);
    expect(model.find('web')!.state).toBe('running');
  });

  it('says when the user may not see containers, and stops the socket', async () => {
    server.status = status(false, false);
    server.containers = [container('web')];
    model.start();
    await settle();
    expect(model.problem?.kind).toBe('forbidden');
    expect(model.containers).toEqual([]);
    expect(server.calls).not.toContain('containers');
    expect(transport.stops).toBe(1);
    // Not retried by itself: a Retry (refresh) asks again.
    jest.advanceTimersByTime(60000);
    await settle();
    expect(server.calls.filter(c => c === 'status')).toHaveLength(1);
  });

  it('reads the permissions from the status', async () => {
    expect(model.permissions.write).toBe(true);
    server.status = status(false);
    await model.refresh();
    expect(model.permissions).toEqual({ read: true, write: false });
    expect(model.problem).toBeNull();
  });

  it('reports an engine that does not answer, and retries until it does', async () => {
    server.statusError = new LittleWingsAPIError(
      'Cannot connect to Docker',
      503,
      'engine_unavailable'
    );
    await model.refresh();
    expect(model.problem).toEqual({
      kind: 'engine',
      detail: 'Cannot connect to Docker'
    });
    server.statusError = null;
    server.containers = [container('web')];
    jest.advanceTimersByTime(5000);
    await settle();
    expect(model.problem).toBeNull();
    expect(names(model.containers)).toEqual(['web']);
  });

  it('tells a server without the extension from other errors', async () => {
    server.statusError = new LittleWingsAPIError('Not Found', 404, null);
    await model.refresh();
    expect(model.problem?.kind).toBe('server');
    expect(model.problem?.detail).toContain('404');
  });

  it('drops the containers of an engine that goes away, and lists it alone when it is back', async () => {
    server.engines = [
      { name: 'local', reachable: true },
      { name: 'remote', reachable: true }
    ];
    server.containers = [
      container('a'),
      container('b', { id: 'b'.repeat(64), engine: 'remote' })
    ];
    await model.refresh();
    transport.say({
      type: 'status',
      event: 'engine_unavailable',
      engine: 'remote',
      reason: 'no route to host'
    });
    expect(names(model.containers)).toEqual(['a']);
    const remote = model.engines.find(e => e.name === 'remote')!;
    expect(remote.reachable).toBe(false);
    expect(remote.error).toBe('no route to host');

    server.calls = [];
    transport.say({
      type: 'status',
      event: 'engine_available',
      engine: 'remote'
    });
    await settle();
    // Only that engine is asked; the default one keeps its rows.
    expect(server.calls).toEqual(['containers remote']);
    expect(names(model.ordered())).toEqual(['a', 'b']);
    expect(model.engines.find(e => e.name === 'remote')!.reachable).toBe(true);
  });

  it('asks again by itself for an engine that is down', async () => {
    server.engines = [
      { name: 'local', reachable: true },
      { name: 'remote', reachable: false, error: 'down' }
    ];
    server.containers = [container('a')];
    await model.refresh();
    server.engines = [
      { name: 'local', reachable: true },
      { name: 'remote', reachable: true }
    ];
    server.containers = [
      container('a'),
      container('r', { id: 'e'.repeat(64), engine: 'remote' })
    ];
    server.calls = [];
    jest.advanceTimersByTime(5000);
    await settle();
    expect(server.calls).toEqual(['containers remote']);
    expect(names(model.ordered())).toEqual(['a', 'r']);
  });

  it("loads a Swarm manager's services, and again after a task's event", async () => {
    server.engines = [{ name: 'local', reachable: true, swarm: 'manager' }];
    server.services.set('local', [{ id: 's1', name: 'api', replicas: 2 }]);
    await model.refresh();
    await settle();
    expect(model.services.get('local')?.map(s => s.engine)).toEqual(['local']);
    server.services.set('local', [
      { id: 's1', name: 'api', replicas: 2, running: 2 }
    ]);
    // A burst of task events: one reload, half a second later.
    for (const i of [1, 2, 3]) {
      transport.say({
        type: 'container_event',
        event: 'start',
        container: container(`api.${i}`, {
          labels: { 'com.docker.swarm.service.name': 'api' }
        })
      });
    }
    server.calls = [];
    jest.advanceTimersByTime(500);
    await settle();
    expect(server.calls).toEqual(['services local']);
    expect(model.services.get('local')?.[0].running).toBe(2);
  });

  it('asks no engine for services unless it is a Swarm manager', async () => {
    server.engines = [{ name: 'local', reachable: true, swarm: 'worker' }];
    await model.refresh();
    await settle();
    expect(server.calls.some(c => c.startsWith('services'))).toBe(false);
  });

  it('lets the last of two overlapping loads win', async () => {
    const first = deferred<Listing>();
    server.held.push(first);
    const one = model.refresh();
    await settle();
    server.containers = [container('second')];
    const two = model.refresh();
    await two;
    first.resolve({
      containers: [container('first')],
      engines: server.engines
    });
    await one;
    expect(names(model.containers)).toEqual(['second']);
  });

  it('stops listening when disposed', async () => {
    await model.refresh();
    model.dispose();
    transport.say({
      type: 'container_event',
      event: 'create',
      container: container('x')
    });
    expect(model.containers).toEqual([]);
    expect(model.isDisposed).toBe(true);
  });
});

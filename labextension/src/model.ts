/**
 * The containers model: the state the Containers sidebar shows (containers, engines, Swarm
 * services, the server's status), its REST calls (through `api.ts`) and the frames of the
 * events socket that keep it live. It draws nothing; views listen to `changed`. It stays whole
 * (a little over 600 lines) because loads, the events that come while a list is asked, and each
 * engine's retries are one state over the same maps.
 */
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import {
  IEngineStatus,
  LittleWingsAPIError,
  fetchContainers,
  fetchNodes,
  fetchServices,
  fetchStatus,
  powerContainer
} from './api';
import type {
  IConnectionStatus,
  IContainerEventMessage,
  IContainerSummary,
  IPermissions,
  PowerAction,
  ServerMessage
} from './console';
import {
  IEngineState,
  INodeSummary,
  IServiceSummary,
  containerKey,
  resort,
  sortContainers
} from './containerlist';
import { IContainersModel } from './tokens';

type Timer = ReturnType<typeof setTimeout>;

/** The model behind the Containers sidebar (see `IContainersModel`). */
export class ContainersModel implements IContainersModel {
  constructor(options: ContainersModel.IOptions) {
    this._transport = options.transport;
    this._api = { ...ContainersModel.REST, ...options.api };
    this._retryDelay = options.retryDelay ?? 5000;
    this._transport.opened.connect(this._onOpened, this);
    this._transport.messageReceived.connect(this._onMessage, this);
    this._transport.statusChanged.connect(this._onStatus, this);
  }

  get changed(): ISignal<this, IContainersModel.Change> {
    return this._changed;
  }

  get connectionChanged(): ISignal<this, IConnectionStatus> {
    return this._connectionChanged;
  }

  get connection(): IConnectionStatus {
    return this._transport.status;
  }

  get containers(): IContainerSummary[] {
    return [...this._containers.values()];
  }

  get engines(): IEngineState[] {
    return [...this._engines];
  }

  get defaultEngine(): string {
    return this._engines[0]?.name ?? '';
  }

  get services(): ReadonlyMap<string, IServiceSummary[]> {
    return this._services;
  }

  /** The nodes of the engines that are Swarm managers (with the services). */
  get nodes(): ReadonlyMap<string, INodeSummary[]> {
    return this._nodes;
  }

  get permissions(): IPermissions {
    return this._status?.permissions ?? { read: true, write: true };
  }

  get status(): IEngineStatus | null {
    return this._status;
  }

  get problem(): IContainersModel.Problem {
    return this._problem;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get loading(): boolean {
    return this._loading;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get(key: string): IContainerSummary | undefined {
    return this._containers.get(key);
  }

  engineOf(c: Pick<IContainerSummary, 'engine'> | null | undefined): string {
    const name = String(c?.engine ?? '');
    return name && name !== this.defaultEngine ? name : '';
  }

  find(idOrName: string, engine?: string): IContainerSummary | null {
    const wanted = engine || '';
    let found: IContainerSummary | null = null;
    for (const c of this._containers.values()) {
      if (wanted && String(c.engine ?? '') !== wanted) {
        continue;
      }
      if (
        c.id === idOrName ||
        c.name === idOrName ||
        c.id.startsWith(idOrName)
      ) {
        if (wanted || !found || this.engineOf(c) === '') {
          found = c;
        }
        if (wanted || this.engineOf(c) === '') {
          return found;
        }
      }
    }
    return found;
  }

  isBusy(c: IContainerSummary): boolean {
    return this._busy.has(containerKey(c));
  }

  ordered(): IContainerSummary[] {
    if (this._sorted && this._changedKeys.size) {
      this._sorted =
        this._changedKeys.size > 1000
          ? null
          : resort(
              this._sorted,
              this._changedKeys,
              this._containers,
              this._engines,
              this._replacedKeys
            );
    }
    if (!this._sorted) {
      this._sorted = sortContainers(
        [...this._containers.values()],
        this._engines
      );
    }
    this._changedKeys.clear();
    this._replacedKeys = false;
    return this._sorted;
  }

  /**
   * Go live: open the events socket, load the list if it never was, and reload the Swarm
   * services now and then (their replicas and update states move on).
   */
  start(): void {
    if (this._isDisposed) {
      return;
    }
    this._started = true;
    this._transport.start();
    if (!this._servicesTicker) {
      this._servicesTicker = setInterval(() => this._loadServices(), 30000);
    }
    if (!this._loaded) {
      void this.refresh();
    }
  }

  async refresh(): Promise<void> {
    const serial = ++this._refreshSerial;
    this._loading = true;
    this._changed.emit('loading');
    try {
      const status = await this._api.fetchStatus();
      if (serial !== this._refreshSerial) {
        return;
      }
      this._status = status;
      if (!status.permissions.read) {
        this._problem = Private.FORBIDDEN;
        this._setContainers([], []);
      } else {
        // Every engine is asked, even when the default one is down: another may answer.
        const list = await this._listing(() => this._api.fetchContainers());
        if (serial !== this._refreshSerial) {
          return;
        }
        this._problem = null;
        this._setContainers(list.containers, list.engines);
        this._replayEvents();
        this._loadServices();
      }
    } catch (error) {
      if (serial !== this._refreshSerial) {
        return;
      }
      this._problem = Private.problemOf(error);
      this._setContainers([], this._engines);
    } finally {
      if (serial === this._refreshSerial && !this._isDisposed) {
        this._loaded = true;
        this._loading = false;
        // Refused: the events socket would be refused as well, so it waits for a Retry that
        // is let in instead of knocking every few seconds.
        if (this._problem?.kind === 'forbidden') {
          this._transport.stop();
        } else if (this._started && this._transport.status.phase === 'closed') {
          this._transport.start();
        }
        this._scheduleRetry();
        this._changed.emit('refreshed');
      }
    }
  }

  async power(c: IContainerSummary, action: PowerAction): Promise<void> {
    const key = containerKey(c);
    this._busy.add(key);
    this._changed.emit('busy');
    try {
      const reply = (await this._api.powerContainer(
        c.id,
        action,
        this.engineOf(c)
      )) as { state?: string; container?: IContainerSummary } | null;
      const known = this._containers.get(key);
      if (known && reply?.state) {
        // The reply carries the detailed summary: keep the listed fields it lacks.
        this._containers.set(key, {
          ...known,
          ...(reply.container ?? {}),
          engine: known.engine,
          state: reply.state
        });
        this._changedKeys.add(key);
        this._replacedKeys = true;
      }
    } finally {
      this._busy.delete(key);
      if (!this._isDisposed) {
        this._changed.emit('busy');
      }
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    clearTimeout(this._retryTimer);
    clearInterval(this._servicesTicker);
    for (const timer of this._servicesTimers.values()) {
      clearTimeout(timer);
    }
    this._servicesTimers.clear();
    this._transport.opened.disconnect(this._onOpened, this);
    this._transport.messageReceived.disconnect(this._onMessage, this);
    this._transport.statusChanged.disconnect(this._onStatus, this);
    Signal.clearData(this);
  }

  // ---- the list -----------------------------------------------------------------------------

  private _setContainers(
    containers: IContainerSummary[],
    engines: IEngineState[]
  ): void {
    const now = Date.now();
    this._engines = engines.length
      ? engines
      : Private.enginesOf(containers, this._engines);
    const fallback = this._engines[0]?.name ?? '';
    this._containers = new Map();
    for (const c of containers) {
      const summary = { ...c, engine: c.engine ?? fallback, listed_at: now };
      this._containers.set(containerKey(summary), summary);
    }
    this._sorted = null;
  }

  /** Replace the containers and the state of one engine. */
  private _setEngine(
    name: string,
    state: IEngineState,
    containers: IContainerSummary[] | null
  ): void {
    const index = this._engines.findIndex(e => e.name === name);
    if (index < 0) {
      this._engines = [...this._engines, state];
    } else {
      this._engines = this._engines.map((e, i) => (i === index ? state : e));
    }
    if (containers !== null || !state.reachable) {
      for (const [key, c] of this._containers) {
        if (c.engine === name) {
          this._containers.delete(key);
        }
      }
      const now = Date.now();
      for (const c of containers ?? []) {
        const summary = { ...c, engine: c.engine ?? name, listed_at: now };
        this._containers.set(containerKey(summary), summary);
      }
      if (!state.reachable) {
        this._services.delete(name);
      }
      this._sorted = null;
    }
    this._changed.emit('containers');
  }

  /** Ask one engine for its containers again (it came back, or it is retried). */
  private async _refreshEngine(name: string): Promise<void> {
    if (this._engineRefreshes.has(name)) {
      return;
    }
    this._engineRefreshes.add(name);
    const before = this._engines.find(e => e.name === name);
    try {
      const list = await this._listing(() => this._api.fetchContainers(name));
      if (this._isDisposed) {
        return;
      }
      const state = list.engines.find(e => e.name === name) ?? {
        ...(before ?? { name }),
        reachable: true,
        error: null
      };
      this._setEngine(name, state, list.containers);
      this._replayEvents();
      this._loadServices([name]);
    } catch (error) {
      if (this._isDisposed) {
        return;
      }
      const reason =
        error instanceof Error ? error.message : String(error ?? '');
      this._setEngine(
        name,
        { ...(before ?? { name }), reachable: false, error: reason },
        null
      );
    } finally {
      this._engineRefreshes.delete(name);
      this._scheduleRetry();
    }
  }

  /** The services of the engines that are Swarm managers (refreshed with the list). */
  private _loadServices(names?: string[]): void {
    for (const engine of this._engines) {
      if (names && !names.includes(engine.name)) {
        continue;
      }
      if (engine.swarm !== 'manager' || !engine.reachable) {
        const hadNodes = this._nodes.delete(engine.name);
        if (this._services.delete(engine.name) || hadNodes) {
          this._changed.emit('containers');
        }
        continue;
      }
      const name = engine.name;
      this._api
        .fetchNodes?.(name)
        .then(nodes => {
          if (!this._isDisposed) {
            this._nodes.set(name, nodes);
            this._changed.emit('containers');
          }
        })
        .catch(reason => {
          console.warn(
            `littlewings-jupyter: no nodes of engine ${name}`,
            reason
          );
        });
      this._api
        .fetchServices(name)
        .then(services => {
          if (this._isDisposed) {
            return;
          }
          this._services.set(
            name,
            services.map(s => ({ ...s, engine: s.engine ?? name }))
          );
          this._changed.emit('containers');
        })
        .catch(reason => {
          console.warn(
            `littlewings-jupyter: no services of engine ${name}`,
            reason
          );
        });
    }
  }

  /** Reload an engine's services in a moment (a burst of task events: one reload). */
  private _servicesSoon(engine: string): void {
    const state = this._engines.find(e => e.name === engine);
    if (state?.swarm !== 'manager' || this._servicesTimers.has(engine)) {
      return;
    }
    this._servicesTimers.set(
      engine,
      setTimeout(() => {
        this._servicesTimers.delete(engine);
        this._loadServices([engine]);
      }, 500)
    );
  }

  private _scheduleRetry(): void {
    clearTimeout(this._retryTimer);
    if (this._isDisposed) {
      return;
    }
    // No engine (or no server extension yet): look again now and then, the user may fix it.
    if (this._problem && this._problem.kind !== 'forbidden') {
      this._retryTimer = setTimeout(
        () => void this.refresh(),
        this._retryDelay
      );
    } else if (!this._problem && this._engines.some(e => !e.reachable)) {
      // An engine down: the others stay as they are; it alone is asked again.
      this._retryTimer = setTimeout(() => {
        for (const engine of this._engines) {
          if (!engine.reachable) {
            void this._refreshEngine(engine.name);
          }
        }
      }, this._retryDelay);
    }
  }

  // ---- live updates -----------------------------------------------------------------------

  private _onOpened(): void {
    this._transport.send({ type: 'events', enabled: true });
    // Anything that happened while the socket was down is not replayed: load the list again.
    void this.refresh();
  }

  private _onStatus(_: unknown, status: IConnectionStatus): void {
    this._connectionChanged.emit(status);
  }

  /**
   * Run a list request, keeping the container events that arrive meanwhile: the list is a
   * snapshot taken at some moment during the request, and an event after that moment (a
   * container created while 800 others are listed) must not be lost when the snapshot
   * replaces the rows. They are applied again over it by `_replayEvents`.
   */
  private async _listing<T>(request: () => Promise<T>): Promise<T> {
    this._listsInFlight++;
    try {
      return await request();
    } finally {
      this._listsInFlight--;
    }
  }

  /** Apply again the events that came while a list was asked (applying one twice is
   * harmless: a summary set again, a removal of what is gone). */
  private _replayEvents(): void {
    const events = this._eventsDuringList;
    if (this._listsInFlight === 0) {
      this._eventsDuringList = [];
    }
    for (const message of events) {
      this._applyContainerEvent(message);
    }
  }

  private _applyContainerEvent(message: IContainerEventMessage): void {
    const c = message.container;
    if (!c || !c.id) {
      return;
    }
    const summary = { ...c, engine: c.engine ?? this.defaultEngine };
    const key = containerKey(summary);
    const known = this._containers.get(key);
    if (known) {
      this._replacedKeys = true;
    }
    if (message.event === 'removed' || message.event === 'destroy') {
      this._containers.delete(key);
    } else {
      this._containers.set(key, { ...known, ...summary });
    }
    // Only this one moves in the order (a burst of creates is not a sort per frame).
    this._changedKeys.add(key);
    // A Swarm task's container came, went or changed: its service's counts did too.
    const labels = (summary.labels ?? known?.labels ?? {}) as Record<
      string,
      string
    >;
    if (labels['com.docker.swarm.service.name'] || !known?.labels) {
      this._servicesSoon(String(summary.engine ?? ''));
    }
    // A view draws a burst of events (a compose up, 5,000 creates) once per frame.
    this._changed.emit('containers');
  }

  private _onMessage(_: unknown, message: ServerMessage): void {
    if (message.type === 'container_event') {
      if (this._listsInFlight > 0) {
        this._eventsDuringList.push(message);
      }
      this._applyContainerEvent(message);
    } else if (message.type === 'status') {
      if (
        message.event !== 'engine_available' &&
        message.event !== 'engine_unavailable'
      ) {
        return;
      }
      const name = message.engine;
      if (!name || this._engines.length < 2 || this._problem) {
        void this.refresh();
      } else if (message.event === 'engine_available') {
        void this._refreshEngine(name);
      } else {
        const before = this._engines.find(e => e.name === name);
        this._setEngine(
          name,
          {
            ...(before ?? { name }),
            reachable: false,
            error: message.reason || 'The engine does not answer.'
          },
          null
        );
        this._scheduleRetry();
      }
    } else if (
      message.type === 'error' &&
      message.code === 'engine_unavailable'
    ) {
      void this.refresh();
    } else if (message.type === 'containers') {
      this._setContainers(
        message.containers,
        (message.engines as IEngineState[] | undefined) ?? this._engines
      );
      this._changed.emit('containers');
    }
  }

  private _transport: ContainersModel.ITransport;
  private _api: ContainersModel.IRest;
  private _retryDelay: number;
  private _started = false;
  private _isDisposed = false;
  private _containers = new Map<string, IContainerSummary>();
  private _sorted: IContainerSummary[] | null = null;
  private _changedKeys = new Set<string>();
  private _replacedKeys = false;
  private _engines: IEngineState[] = [];
  private _services = new Map<string, IServiceSummary[]>();
  private _nodes = new Map<string, INodeSummary[]>();
  private _servicesTimers = new Map<string, Timer>();
  private _servicesTicker: ReturnType<typeof setInterval> | undefined;
  private _engineRefreshes = new Set<string>();
  private _status: IEngineStatus | null = null;
  private _problem: IContainersModel.Problem = null;
  private _loaded = false;
  private _loading = false;
  private _refreshSerial = 0;
  private _listsInFlight = 0;
  private _eventsDuringList: IContainerEventMessage[] = [];
  private _busy = new Set<string>();
  private _retryTimer: Timer | undefined;
  private _changed = new Signal<this, IContainersModel.Change>(this);
  private _connectionChanged = new Signal<this, IConnectionStatus>(this);
}

export namespace ContainersModel {
  /**
   * The events channel the model listens to: the extension's `LittleWingsSocket` (which it
   * starts, and stops when the server refuses the user), or a fake one in tests.
   */
  export interface ITransport {
    readonly opened: ISignal<unknown, unknown>;
    readonly messageReceived: ISignal<unknown, ServerMessage>;
    readonly statusChanged: ISignal<unknown, IConnectionStatus>;
    readonly status: IConnectionStatus;
    start(): void;
    stop(): void;
    send(message: { type: string; [key: string]: unknown }): boolean;
  }

  /** The REST calls the model makes (those of `api.ts`, unless tests give others). */
  export interface IRest {
    fetchStatus: typeof fetchStatus;
    fetchContainers: typeof fetchContainers;
    fetchServices: typeof fetchServices;
    /** (Optional: a model without it shows no nodes.) */
    fetchNodes?: typeof fetchNodes;
    powerContainer: typeof powerContainer;
  }

  /** The calls of `api.ts`. */
  export const REST: IRest = {
    fetchStatus,
    fetchContainers,
    fetchServices,
    fetchNodes,
    powerContainer
  };

  export interface IOptions {
    /** The socket of Docker's events (it may be shared, e.g. with the alerts). */
    transport: ITransport;
    /** Other REST calls than `api.ts`'s (tests). */
    api?: Partial<IRest>;
    /** How long to wait before asking an engine (or the server) that did not answer again. */
    retryDelay?: number;
  }
}

namespace Private {
  export const FORBIDDEN: IContainersModel.Problem = {
    kind: 'forbidden',
    detail: 'You are not allowed to see containers on this server.'
  };

  /** Engines named by the containers (an older server says nothing of its engines). */
  export function enginesOf(
    containers: IContainerSummary[],
    known: IEngineState[]
  ): IEngineState[] {
    if (known.length) {
      return known;
    }
    const names = [...new Set(containers.map(c => String(c.engine ?? '')))];
    return (names.length ? names : ['']).map(name => ({
      name,
      reachable: true
    }));
  }

  /** What a failed load means to the user. */
  export function problemOf(error: unknown): IContainersModel.Problem {
    if (error instanceof LittleWingsAPIError) {
      if (error.status === 403) {
        return FORBIDDEN;
      }
      if (error.status === 503 || error.code === 'engine_unavailable') {
        return { kind: 'engine', detail: error.message };
      }
      if (error.status === 404) {
        return {
          kind: 'server',
          detail: 'The server does not know api/littlewings (404).'
        };
      }
      return {
        kind: 'server',
        detail: `${error.message} (HTTP ${error.status})`
      };
    }
    if (error instanceof ServerConnection.NetworkError) {
      return { kind: 'server', detail: 'The Jupyter server does not answer.' };
    }
    return { kind: 'server', detail: String(error) };
  }
}

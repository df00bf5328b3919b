/**
 * A console's connection: one socket (or the notebook widget's comm) and what it watches, a
 * container or a group. It stays whole because every frame of that channel (history and live
 * lines, commands, shells, searches, losses) passes through the one state it keeps to resume
 * where it left off (its cursor, its options, its pending requests).
 */
import { PromiseDelegate } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  CommandVia,
  ICommandExitMessage,
  ICommandOutputMessage,
  ICommandSentMessage,
  ICommandStartedMessage,
  IConnectedMessage,
  IContainerSummary,
  IContextMessage,
  IDroppedMessage,
  IErrorMessage,
  IGroupInfo,
  IHelloMessage,
  ILogMessage,
  IMarkerMessage,
  IPermissions,
  IPowerMessage,
  ISearchEndMessage,
  ISearchMatch,
  ISearchProgress,
  ISearchRequest,
  IStatsMessage,
  IStatusMessage,
  IThrottledMessage,
  GroupTarget,
  PowerAction,
  ServerMessage,
  groupKey
} from './protocol';
import { IShellRequest, ShellChannel } from './shell';
import {
  IConnectionStatus,
  IConsoleTransport,
  ISocketOptions,
  LittleWingsSocket
} from './socket';

/** What to ask for when watching a container. */
export interface IWatchOptions {
  /** History lines on open: a count or 'all'. */
  tail: number | 'all';
  /** Prefix every line with Docker's timestamp. */
  timestamps: boolean;
  /** Stream CPU and memory figures. */
  stats: boolean;
}

/** A frame about a command typed in the console. */
export type CommandEvent =
  | ICommandStartedMessage
  | ICommandOutputMessage
  | ICommandExitMessage
  | ICommandSentMessage
  | IErrorMessage;

/** Lines the server could not deliver (`dropped`) or would not (`throttled`). */
export type LossNotice = IDroppedMessage | IThrottledMessage;

/**
 * One container watched over one LittleWings socket: logs, status, stats, commands, power; or
 * a group of containers (a Compose project, a label, listed names) whose logs come merged.
 *
 * It survives reconnects: on every new socket it sends `connect` again with the `cursor` of the
 * last log frame (for a group: `cursors`, the last cursor of each member), so the server
 * resumes exactly after the last line already shown.
 */
export class ConsoleConnection implements IDisposable {
  constructor(options: ConsoleConnection.IOptions) {
    this.group = options.group ?? null;
    this.engine = options.engine ?? '';
    this.serverId =
      options.serverId ?? (this.group ? groupKey(this.group) : '');
    this._watch = { ...options.watch };
    this._ownsSocket = !options.socket;
    this.socket =
      options.socket ?? new LittleWingsSocket(options.socketOptions!);
    this.socket.opened.connect(this._onOpened, this);
    this.socket.messageReceived.connect(this._onMessage, this);
    this.socket.statusChanged.connect(this._onSocketStatus, this);
    if (this.socket.hello) {
      this._onOpened(this.socket, this.socket.hello);
    } else {
      this.socket.start();
    }
  }

  /** The container as the user named it (name or id); for a group, its key. */
  readonly serverId: string;

  /** The group watched, or null for one container. */
  readonly group: GroupTarget | null;

  /** The Docker engine asked for ('' for the server's default one). */
  readonly engine: string;

  /** The engine the server says the container (or group) is on, from `connected`. */
  get engineName(): string {
    return this._engineName || this.engine;
  }

  /** How the server names the group (from `connected`). */
  get groupInfo(): IGroupInfo | null {
    return this._groupInfo;
  }

  /**
   * The group's containers as last known, in the server's order; a member removed while
   * watched stays, with the state `removed`.
   */
  get members(): IContainerSummary[] {
    return [...this._members.values()];
  }

  /** The members joined, left or changed state. */
  get membersChanged(): ISignal<this, IContainerSummary[]> {
    return this._membersChanged;
  }

  /** The server dropped or throttled log lines. */
  get lossReported(): ISignal<this, LossNotice> {
    return this._lossReported;
  }

  /** A change of a Swarm cluster that the log does not say (a node down or back). */
  get markerReceived(): ISignal<this, IMarkerMessage> {
    return this._markerReceived;
  }

  /** The channel underneath: a LittleWings WebSocket, or a notebook widget's comm. */
  readonly socket: IConsoleTransport;

  get container(): IContainerSummary | null {
    return this._container;
  }

  /** The server's default way to send commands, from `connected`. */
  get commandVia(): CommandVia | null {
    return this._commandVia;
  }

  get permissions(): IPermissions | null {
    const hello = this.socket.hello;
    if (!hello?.permissions) {
      return null;
    }
    // Read-only mode refuses every write whatever the Authorizer says.
    const readOnly =
      (hello.limits as { read_only?: boolean } | undefined)?.read_only === true;
    return {
      read: hello.permissions.read,
      write: hello.permissions.write && !readOnly
    };
  }

  get watchOptions(): IWatchOptions {
    return { ...this._watch };
  }

  /** True between `connected` and the socket closing. */
  get isConnected(): boolean {
    return this._connected;
  }

  /** Log lines, history and live. */
  get logReceived(): ISignal<this, ILogMessage> {
    return this._logReceived;
  }

  /** The history sent on (re)connect is complete. */
  get historyEnded(): ISignal<this, void> {
    return this._historyEnded;
  }

  /** Emitted on every `connected` (first and after reconnects). */
  get connected(): ISignal<this, IConnectedMessage> {
    return this._connectedSignal;
  }

  /** The container's summary or state changed. */
  get containerChanged(): ISignal<this, IContainerSummary> {
    return this._containerChanged;
  }

  /** A Docker status event of the container. */
  get statusReceived(): ISignal<this, IStatusMessage> {
    return this._statusReceived;
  }

  get statsReceived(): ISignal<this, IStatsMessage> {
    return this._statsReceived;
  }

  get commandEvent(): ISignal<this, CommandEvent> {
    return this._commandEvent;
  }

  /** Errors not tied to a command or a power action (not_found on connect...). */
  get errorReceived(): ISignal<this, IErrorMessage> {
    return this._errorReceived;
  }

  /** Emitted when the view must start over (the options changed, history comes again). */
  get reset(): ISignal<this, void> {
    return this._reset;
  }

  get connectionStatusChanged(): ISignal<this, IConnectionStatus> {
    return this._connectionStatusChanged;
  }

  get connectionStatus(): IConnectionStatus {
    return this.socket.status;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Change what is watched; history is sent again from scratch. */
  setWatchOptions(options: Partial<IWatchOptions>): void {
    const before = this._watch;
    this._watch = { ...before, ...options };
    if (
      options.stats !== undefined &&
      options.stats !== before.stats &&
      !this.group
    ) {
      this.socket.send({ type: 'stats', enabled: this._watch.stats });
    }
    if (
      (options.timestamps !== undefined &&
        options.timestamps !== before.timestamps) ||
      (options.tail !== undefined && options.tail !== before.tail)
    ) {
      this._cursor = null;
      this._cursors.clear();
      this._reset.emit();
      this._sendConnect();
    }
  }

  /** End a running exec command in the container (SIGINT, then SIGTERM, then SIGKILL). */
  stopCommand(commandId: string): boolean {
    return this.socket.send({
      type: 'command_stop',
      id: `x${++this._counter}`,
      command: commandId
    });
  }

  /** Run a command; returns the request id its frames carry. */
  runCommand(command: string, via?: CommandVia): string {
    const id = `c${++this._counter}`;
    const message: { type: string; [key: string]: unknown } = {
      type: 'command',
      command,
      id
    };
    if (via) {
      message.via = via;
    }
    if (!this.socket.send(message)) {
      this._commandEvent.emit({
        type: 'error',
        id,
        code: 'not_connected',
        message: 'Not connected to the server; the command was not sent.'
      });
    }
    return id;
  }

  /** Ask for a power action; resolves with the reply, rejects with the error frame. */
  power(action: PowerAction): Promise<IPowerMessage> {
    const id = `p${++this._counter}`;
    const pending = new PromiseDelegate<IPowerMessage>();
    if (!this.socket.send({ type: 'power', action, id })) {
      pending.reject({
        type: 'error',
        code: 'not_connected',
        message: 'Not connected to the server.'
      } as IErrorMessage);
      return pending.promise;
    }
    this._pendingPower.set(id, pending);
    return pending.promise;
  }

  /**
   * Search the whole history of the container (or the group) on the server; the results,
   * progress and end come on the returned handle's signals.
   */
  search(request: ISearchRequest): HistorySearch {
    const id = `q${++this._counter}`;
    const search = new HistorySearch(this.socket, id);
    this._searches.set(id, search);
    search.ended.connect(() => this._searches.delete(id));
    if (!this.socket.send({ type: 'search', id, ...request })) {
      search.handle({
        type: 'error',
        code: 'not_connected',
        message: 'Not connected to the server.',
        id
      });
    }
    return search;
  }

  /** The lines around one line (`cursor`), e.g. a search result's; `container` in a group. */
  context(request: {
    cursor: string;
    before?: number;
    after?: number;
    container?: string;
  }): Promise<IContextMessage> {
    const id = `x${++this._counter}`;
    const pending = new PromiseDelegate<IContextMessage>();
    const message: { type: string; [key: string]: unknown } = {
      type: 'context',
      id,
      cursor: request.cursor,
      before: request.before ?? 50,
      after: request.after ?? 50
    };
    if (request.container) {
      message.container = request.container;
    }
    if (!this.socket.send(message)) {
      pending.reject({
        type: 'error',
        code: 'not_connected',
        message: 'Not connected to the server.'
      } as IErrorMessage);
      return pending.promise;
    }
    this._pendingContext.set(id, pending);
    return pending.promise;
  }

  /** Open an interactive shell in the container (a terminal: see `ShellChannel`). */
  openShell(request: IShellRequest): ShellChannel {
    const id = `s${++this._counter}`;
    const shell = new ShellChannel(this.socket, id, request);
    this._shellRequests.set(id, shell);
    if (request.attach) {
      this._shells.set(request.attach, shell);
    }
    shell.phaseChanged.connect((sender, phase) => {
      if (phase === 'open' && sender.shellId) {
        this._shells.set(sender.shellId, sender);
      } else if (phase === 'ended' || phase === 'refused') {
        this._forgetShell(sender);
      }
    });
    if (shell.phase === 'refused') {
      this._forgetShell(shell);
    }
    return shell;
  }

  /** The shells open on this connection. */
  get shells(): ShellChannel[] {
    return [
      ...new Set([...this._shells.values(), ...this._shellRequests.values()])
    ];
  }

  private _forgetShell(shell: ShellChannel): void {
    for (const [key, value] of this._shellRequests) {
      if (value === shell) {
        this._shellRequests.delete(key);
      }
    }
    if (shell.shellId) {
      this._shells.delete(shell.shellId);
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    // Closing the console ends its shells (a reload or a dropped network does not: those
    // are taken back on reconnect).
    for (const shell of this.shells) {
      shell.dispose();
    }
    this._isDisposed = true;
    this.socket.opened.disconnect(this._onOpened, this);
    this.socket.messageReceived.disconnect(this._onMessage, this);
    this.socket.statusChanged.disconnect(this._onSocketStatus, this);
    if (this._ownsSocket) {
      this.socket.dispose();
    } else {
      this.socket.send({ type: 'disconnect' });
    }
    Signal.clearData(this);
  }

  private _onOpened(sender: IConsoleTransport, hello: IHelloMessage): void {
    this._sendConnect();
    // Requests of shells waiting to be taken back went over a channel that is gone (or were
    // never sent): each is asked again on this one.
    for (const [id, shell] of this._shellRequests) {
      if (shell.phase === 'reattaching') {
        this._shellRequests.delete(id);
      }
    }
    for (const shell of this._shells.values()) {
      const id = `a${++this._counter}`;
      if (shell.reattach(id)) {
        this._shellRequests.set(id, shell);
      }
    }
    // Shells asked for before the socket opened: after `connect`, which the server answers
    // first (one socket's messages are handled in order).
    for (const shell of this._shellRequests.values()) {
      shell.sendOpen();
    }
  }

  private _sendConnect(): void {
    this._connectId = `k${++this._counter}`;
    if (this.group) {
      this._sendGroupConnect(this.group);
      return;
    }
    const message: { type: string; [key: string]: unknown } = {
      type: 'connect',
      id: this._connectId,
      server_id: this.serverId,
      timestamps: this._watch.timestamps,
      tail: this._watch.tail
    };
    if (this.engine) {
      message.engine = this.engine;
    }
    if (this._cursor) {
      message.cursor = this._cursor;
    }
    this._awaitingConnected = this.socket.send(message);
  }

  private _sendGroupConnect(group: GroupTarget): void {
    const message: { type: string; [key: string]: unknown } = {
      type: 'connect',
      id: this._connectId,
      ...group,
      timestamps: this._watch.timestamps,
      tail: this._watch.tail
    };
    if (this.engine) {
      message.engine = this.engine;
    }
    // Members removed meanwhile are left out: their lines are all shown already.
    const cursors: Record<string, string> = {};
    for (const [name, cursor] of this._cursors) {
      if (this._members.get(name)?.state !== 'removed') {
        cursors[name] = cursor;
      }
    }
    if (Object.keys(cursors).length) {
      message.cursors = cursors;
    }
    this._awaitingConnected = this.socket.send(message);
  }

  private _onSocketStatus(
    sender: IConsoleTransport,
    status: IConnectionStatus
  ): void {
    if (status.phase !== 'open') {
      this._connected = false;
      for (const shell of this.shells) {
        shell.detached();
      }
      for (const [, pending] of this._pendingPower) {
        pending.reject({
          type: 'error',
          code: 'not_connected',
          message: 'Connection lost.'
        });
      }
      this._pendingPower.clear();
      for (const [, pending] of this._pendingContext) {
        pending.reject({
          type: 'error',
          code: 'not_connected',
          message: 'Connection lost.'
        });
      }
      this._pendingContext.clear();
      // A search runs on the socket that asked for it: it ended with it.
      for (const search of [...this._searches.values()]) {
        search.handle({
          type: 'error',
          code: 'not_connected',
          message: 'The connection was lost: the search stopped.'
        });
      }
    }
    this._connectionStatusChanged.emit(status);
  }

  private _onMessage(sender: IConsoleTransport, message: ServerMessage): void {
    const frame = message as { type: string; id?: unknown; shell?: unknown };
    if (frame.type.startsWith('shell_')) {
      const shell =
        frame.type === 'shell_opened' || frame.type === 'shell_attached'
          ? this._shellRequests.get(String(frame.id))
          : this._shells.get(String(frame.shell));
      if (frame.type === 'shell_opened' || frame.type === 'shell_attached') {
        this._shellRequests.delete(String(frame.id));
      }
      shell?.handle(message);
      return;
    }
    switch (message.type) {
      case 'connected':
        if (message.id !== undefined && message.id !== this._connectId) {
          return;
        }
        this._connected = true;
        this._awaitingConnected = false;
        if (typeof (message as { engine?: unknown }).engine === 'string') {
          this._engineName = (message as { engine?: string }).engine!;
        }
        this._commandVia = message.command_via ?? null;
        if (message.container) {
          this._container = message.container;
          this._containerChanged.emit(message.container);
        }
        if (this.group) {
          this._onGroupConnected(message);
        }
        this._connectedSignal.emit(message);
        if (this._watch.stats && !this.group) {
          this.socket.send({ type: 'stats', enabled: true });
        }
        break;
      case 'log':
        if (this._awaitingConnected) {
          // Frames of the stream a new `connect` replaces: the history comes again.
          return;
        }
        if (message.cursor) {
          this._cursor = message.cursor;
          if (this.group && message.container) {
            this._cursors.set(message.container, message.cursor);
          }
        }
        this._logReceived.emit(message);
        break;
      case 'history_end':
        if (this.group && !this._awaitingConnected) {
          // A member whose history was empty resumes from where the server says it ended.
          const cursors = (message as { cursors?: unknown }).cursors;
          if (cursors && typeof cursors === 'object') {
            for (const [name, cursor] of Object.entries(cursors)) {
              if (
                typeof cursor === 'string' &&
                cursor &&
                !this._cursors.has(name)
              ) {
                this._cursors.set(name, cursor);
              }
            }
          }
        }
        this._historyEnded.emit();
        break;
      case 'status':
        if (
          message.engine &&
          this.engineName &&
          message.engine !== this.engineName
        ) {
          // Another engine's news (it went away or came back): not this console's.
          return;
        }
        if (this.group) {
          this._onMemberStatus(message);
        } else {
          this._onStatus(message);
        }
        break;
      case 'member_added':
        if (this.group && message.container?.name) {
          this._members.set(message.container.name, { ...message.container });
          this._rememberId(message.container);
          this._membersChanged.emit(this.members);
        }
        break;
      case 'dropped':
      case 'throttled':
        this._lossReported.emit(message);
        break;
      case 'marker':
        this._markerReceived.emit(message);
        break;
      case 'stats':
        this._statsReceived.emit(message);
        break;
      case 'command_started':
      case 'command_output':
      case 'command_exit':
      case 'command_sent':
        this._commandEvent.emit(message);
        break;
      case 'power': {
        const pending =
          message.id !== undefined &&
          this._pendingPower.get(String(message.id));
        if (pending) {
          this._pendingPower.delete(String(message.id));
          pending.resolve(message);
        }
        if (message.state && this._container) {
          this._updateContainer({ state: message.state });
        }
        break;
      }
      case 'search_started':
      case 'search_results':
      case 'search_progress':
      case 'search_end':
        this._searches.get(String(message.id))?.handle(message);
        break;
      case 'context': {
        const pending = this._pendingContext.get(String(message.id));
        if (pending) {
          this._pendingContext.delete(String(message.id));
          pending.resolve(message);
        }
        break;
      }
      case 'error':
        this._onError(message);
        break;
      default:
        break;
    }
  }

  private _onStatus(message: IStatusMessage): void {
    const patch: Partial<IContainerSummary> = {};
    if (message.state) {
      patch.state = message.state;
    }
    if (message.exit_code !== undefined) {
      patch.exit_code = message.exit_code;
    }
    if (message.health) {
      patch.health = message.health;
    }
    if (message.event === 'started' || message.event === 'restarting') {
      patch.exit_code = null;
      patch.started_at = new Date(
        (message.time ?? Date.now() / 1000) * 1000
      ).toISOString();
      if (message.event === 'started' && this._watch.stats) {
        this.socket.send({ type: 'stats', enabled: true });
      }
    }
    if (message.event === 'removed') {
      patch.state = 'removed';
    }
    this._updateContainer(patch);
    this._statusReceived.emit(message);
  }

  private _onGroupConnected(message: IConnectedMessage): void {
    this._groupInfo = message.group ?? this._groupInfo;
    const before = this._members;
    this._members = new Map();
    for (const member of message.members ?? []) {
      if (member.name) {
        this._members.set(member.name, { ...member });
        this._rememberId(member);
      }
    }
    // Members that went while the socket was down: their lines stay, they are shown removed.
    for (const [name, member] of before) {
      if (!this._members.has(name)) {
        this._members.set(name, { ...member, state: 'removed' });
      }
    }
    this._membersChanged.emit(this.members);
  }

  private _rememberId(member: IContainerSummary): void {
    if (member.id) {
      this._names.set(member.id, member.name);
    }
  }

  /** A status frame of a member: `container` is its id, `name` its name. */
  private _onMemberStatus(message: IStatusMessage): void {
    const name =
      message.name ??
      (message.container ? this._names.get(message.container) : undefined);
    const member = name ? this._members.get(name) : undefined;
    if (name && member) {
      this._members.set(name, { ...member, ...Private.statusPatch(message) });
      this._membersChanged.emit(this.members);
    }
    this._statusReceived.emit(message);
  }

  private _updateContainer(patch: Partial<IContainerSummary>): void {
    const base: IContainerSummary = this._container ?? {
      id: this.serverId,
      name: this.serverId
    };
    this._container = { ...base, ...patch };
    this._containerChanged.emit(this._container);
  }

  private _onError(message: IErrorMessage): void {
    const id = message.id === undefined ? '' : String(message.id);
    const shell = this._shellRequests.get(id);
    if (shell) {
      this._shellRequests.delete(id);
      shell.handle(message);
      return;
    }
    const pending = this._pendingPower.get(id) ?? this._pendingContext.get(id);
    if (pending) {
      this._pendingPower.delete(id);
      this._pendingContext.delete(id);
      pending.reject(message);
      return;
    }
    const search = this._searches.get(id);
    if (search) {
      search.handle(message);
      return;
    }
    if (id.startsWith('c')) {
      this._commandEvent.emit(message);
      return;
    }
    this._errorReceived.emit(message);
  }

  private _watch: IWatchOptions;
  private _engineName = '';
  private _ownsSocket: boolean;
  private _cursor: string | null = null;
  private _cursors = new Map<string, string>();
  private _groupInfo: IGroupInfo | null = null;
  private _members = new Map<string, IContainerSummary>();
  private _names = new Map<string, string>();
  private _membersChanged = new Signal<this, IContainerSummary[]>(this);
  private _lossReported = new Signal<this, LossNotice>(this);
  private _markerReceived = new Signal<this, IMarkerMessage>(this);
  private _counter = 0;
  private _connectId = '';
  private _connected = false;
  private _awaitingConnected = false;
  private _container: IContainerSummary | null = null;
  private _commandVia: CommandVia | null = null;
  private _isDisposed = false;
  private _shellRequests = new Map<string, ShellChannel>();
  private _shells = new Map<string, ShellChannel>();
  private _pendingPower = new Map<string, PromiseDelegate<IPowerMessage>>();
  private _pendingContext = new Map<string, PromiseDelegate<IContextMessage>>();
  private _searches = new Map<string, HistorySearch>();
  private _logReceived = new Signal<this, ILogMessage>(this);
  private _historyEnded = new Signal<this, void>(this);
  private _connectedSignal = new Signal<this, IConnectedMessage>(this);
  private _containerChanged = new Signal<this, IContainerSummary>(this);
  private _statusReceived = new Signal<this, IStatusMessage>(this);
  private _statsReceived = new Signal<this, IStatsMessage>(this);
  private _commandEvent = new Signal<this, CommandEvent>(this);
  private _errorReceived = new Signal<this, IErrorMessage>(this);
  private _reset = new Signal<this, void>(this);
  private _connectionStatusChanged = new Signal<this, IConnectionStatus>(this);
}

/** How a history search ended: the server's `search_end`, or an error (refused, lost). */
export type SearchEnd = ISearchEndMessage | IErrorMessage;

/**
 * One search of the whole history on the server (`search`): matches and progress as they
 * come, then its end; `cancel()` stops it (`search_cancel`).
 */
export class HistorySearch {
  constructor(socket: IConsoleTransport, id: string) {
    this._socket = socket;
    this.id = id;
  }

  readonly id: string;

  /** Matches, oldest first, a batch at a time. */
  get results(): ISignal<this, ISearchMatch[]> {
    return this._results;
  }

  /** About twice a second: lines looked at, matches, how far back. */
  get progress(): ISignal<this, ISearchProgress> {
    return this._progress;
  }

  get ended(): ISignal<this, SearchEnd> {
    return this._ended;
  }

  /** The end, once it came. */
  get end(): SearchEnd | null {
    return this._end;
  }

  /** Stop the search (it ends with `cancelled`). */
  cancel(): void {
    if (!this._end) {
      this._socket.send({ type: 'search_cancel', search: this.id });
    }
  }

  /** A frame about this search (the connection routes them by id). */
  handle(
    message:
      | { type: 'search_started' }
      | { type: 'search_results'; matches: ISearchMatch[] }
      | ({ type: 'search_progress' } & ISearchProgress)
      | ISearchEndMessage
      | IErrorMessage
  ): void {
    if (this._end) {
      return;
    }
    switch (message.type) {
      case 'search_results':
        this._results.emit(message.matches ?? []);
        break;
      case 'search_progress':
        this._progress.emit(message);
        break;
      case 'search_end':
      case 'error':
        this._end = message;
        this._ended.emit(message);
        Signal.clearData(this);
        break;
      default:
        break;
    }
  }

  private _socket: IConsoleTransport;
  private _end: SearchEnd | null = null;
  private _results = new Signal<this, ISearchMatch[]>(this);
  private _progress = new Signal<this, ISearchProgress>(this);
  private _ended = new Signal<this, SearchEnd>(this);
}

export namespace ConsoleConnection {
  export interface IOptions {
    /** The container: name, id or unique id prefix (or give `group`). */
    serverId?: string;
    /** Several containers, their logs merged (docs/protocol.md, "merged logs"). */
    group?: GroupTarget;
    /** The Docker engine of the container or group (default: the server's first engine). */
    engine?: string;
    watch: IWatchOptions;
    /** A channel to share (not disposed with the connection); when absent a WebSocket is
     * made from `socketOptions` and owned. */
    socket?: IConsoleTransport;
    socketOptions?: ISocketOptions;
  }
}

namespace Private {
  /** What a member's status frame changes in its summary. */
  export function statusPatch(
    message: IStatusMessage
  ): Partial<IContainerSummary> {
    const patch: Partial<IContainerSummary> = {};
    if (message.state) {
      patch.state = message.state;
    }
    if (message.exit_code !== undefined) {
      patch.exit_code = message.exit_code;
    }
    if (message.health) {
      patch.health = message.health;
    }
    if (message.event === 'started' || message.event === 'restarting') {
      patch.exit_code = null;
      patch.started_at = new Date(
        (message.time ?? Date.now() / 1000) * 1000
      ).toISOString();
    }
    if (message.event === 'removed') {
      patch.state = 'removed';
    }
    return patch;
  }
}

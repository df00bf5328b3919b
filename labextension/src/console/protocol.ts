/**
 * The LittleWings wire protocol as the front end sees it (docs/protocol.md is the contract).
 *
 * Only what the console and the sidebar read is typed; unknown fields are kept and ignored.
 */

/** Protocol version this client speaks. */
export const PROTOCOL_VERSION = 1;

/** A container as listed by `GET api/littlewings/containers`, `list` and `container_event`. */
export interface IContainerSummary {
  id: string;
  name: string;
  image?: string;
  /** Docker's state: created, running, paused, restarting, removing, exited, dead. */
  state?: string;
  /** Docker's human status line, e.g. "Up 5 minutes" or "Exited (0) 2 seconds ago". */
  status?: string;
  /** Health check state when the container has one: starting, healthy, unhealthy. */
  health?: string | null;
  exit_code?: number | null;
  /** It exited because the kernel's OOM killer killed it (Docker's State.OOMKilled). */
  oom_killed?: boolean;
  started_at?: string | null;
  finished_at?: string | null;
  created?: string | number | null;
  compose_project?: string | null;
  compose_service?: string | null;
  /** The Podman pod it belongs to (none on Docker). */
  pod?: string | null;
  open_stdin?: boolean;
  /** When the client fetched this summary (ms), to count uptime from Docker's status line. */
  listed_at?: number;
  tty?: boolean;
  labels?: Record<string, string>;
  /** The Docker engine the container is on (docs/protocol.md, "Several engines"). */
  engine?: string;
  /** The ports it publishes on its host (`docker run -p`). */
  ports?: IPublishedPort[];
  [key: string]: unknown;
}

/** A port a container publishes on its host. */
export interface IPublishedPort {
  container_port: number;
  host_port: number;
  protocol: string;
  /** The host address it is bound to: 0.0.0.0 or :: for all of them. */
  host_ip: string;
}

/** Who may do what, from `hello` and `GET api/littlewings/status`. */
export interface IPermissions {
  read: boolean;
  write: boolean;
}

/** Limits announced by the server in `hello`. */
export interface ILimits {
  max_message_size?: number;
  idle_timeout?: number;
  command_rate?: number;
}

/** The power actions a container accepts. */
export type PowerAction =
  'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause';

/** Every power action, in the order buttons show them. */
export const POWER_ACTIONS: PowerAction[] = [
  'start',
  'stop',
  'restart',
  'pause',
  'unpause',
  'kill'
];

/** How a command reaches the container. */
export type CommandVia = 'exec' | 'stdin';

export interface IHelloMessage {
  type: 'hello';
  protocol: number;
  server?: string;
  version?: string;
  user?: string;
  permissions?: IPermissions;
  limits?: ILimits;
}

export interface IConnectedMessage {
  type: 'connected';
  id?: string | number;
  protocol?: number;
  /** The container, when one is watched. */
  server_id?: string;
  container?: IContainerSummary;
  command_via?: CommandVia;
  /** The group, when several containers are watched (merged logs). */
  group?: IGroupInfo;
  /** The group's containers, sorted by Compose service and number, then name. */
  members?: IContainerSummary[];
}

/** What a merged view watches: a Compose project, a Podman pod, a label, listed containers,
 * a Swarm service's tasks, or one task of a service (on whatever node it runs). */
export type GroupTarget =
  | { project: string }
  | { pod: string }
  | { label: string }
  | { server_ids: string[] }
  | { service: string }
  | { task: string };

/** How the server names a group in `connected`. */
export interface IGroupInfo {
  kind: 'project' | 'pod' | 'label' | 'containers' | 'service' | 'task';
  name: string;
}

/**
 * A short stable key of a group target (tracker names, storage keys); a group of another
 * engine than the default one is `<engine>/<key>`.
 */
export function groupKey(target: GroupTarget, engine = ''): string {
  const key = baseGroupKey(target);
  return engine ? `${engine}/${key}` : key;
}

function baseGroupKey(target: GroupTarget): string {
  if ('service' in target) {
    return `service:${target.service}`;
  }
  if ('task' in target) {
    return `task:${target.task}`;
  }
  if ('project' in target) {
    return `project:${target.project}`;
  }
  if ('pod' in target) {
    return `pod:${target.pod}`;
  }
  if ('label' in target) {
    return `label:${target.label}`;
  }
  return `containers:${[...target.server_ids].sort().join(',')}`;
}

/** A group target from loose arguments (command args, a widget trait); null when none. */
export function groupTarget(args: {
  [key: string]: unknown;
}): GroupTarget | null {
  if (typeof args.service === 'string' && args.service) {
    return { service: args.service };
  }
  if (typeof args.task === 'string' && args.task) {
    return { task: args.task };
  }
  if (typeof args.project === 'string' && args.project) {
    return { project: args.project };
  }
  if (typeof args.pod === 'string' && args.pod) {
    return { pod: args.pod };
  }
  if (typeof args.label === 'string' && args.label) {
    return { label: args.label };
  }
  const ids = args.server_ids;
  const list = Array.isArray(ids)
    ? ids.filter((v): v is string => typeof v === 'string' && v !== '')
    : typeof ids === 'string'
      ? ids.split(/[\s,]+/).filter(Boolean)
      : [];
  return list.length ? { server_ids: list } : null;
}

export interface ILogMessage {
  type: 'log';
  stream: 'stdout' | 'stderr';
  data: string;
  lines?: number;
  cursor?: string;
  history?: boolean;
  partial?: boolean;
  /** The container's name, in a merged view. */
  container?: string;
}

/** A container that joined the watched group. */
export interface IMemberAddedMessage {
  type: 'member_added';
  container: IContainerSummary;
}

/** Log lines the server dropped for this socket (it read too slowly). */
export interface IDroppedMessage {
  type: 'dropped';
  lines?: number;
  resume_cursor?: string;
  last_cursor?: string;
  /** In a merged view: container name → cursor after which its missing lines start. */
  resume_cursors?: Record<string, string>;
  /** `engine`: the engine's own stream left them out (Podman at a container's exit). */
  reason?: string;
  container?: string;
  message?: string;
}

/** A change of a Swarm cluster the log does not say: a node down or back, a task moved. */
export interface IMarkerMessage {
  type: 'marker';
  event: 'node_down' | 'node_up' | 'task_moved' | string;
  message: string;
  node?: string;
  tasks?: string[];
  task?: string;
}

/** Output throttling of a container switched on or off. */
export interface IThrottledMessage {
  type: 'throttled';
  state: 'on' | 'off';
  dropped?: number;
  container?: string;
  name?: string;
  message?: string;
}

export interface IStatusMessage {
  type: 'status';
  event: string;
  state?: string;
  exit_code?: number | null;
  health?: string;
  container?: string;
  /** The container's name (status frames of a group's members). */
  name?: string;
  /** The engine the frame is about (with several engines; always on engine_* frames). */
  engine?: string;
  /** Why an engine does not answer (`engine_unavailable`). */
  reason?: string;
  time?: number;
}

export interface IStatsMessage {
  type: 'stats';
  time?: number;
  cpu_percent?: number | null;
  memory?: { usage?: number; limit?: number; percent?: number | null };
  network?: { rx_bytes?: number; tx_bytes?: number };
  block_io?: { read_bytes?: number; write_bytes?: number };
  pids?: number;
}

export interface ICommandStartedMessage {
  type: 'command_started';
  id: string | number;
  via: CommandVia;
  command?: string;
}

export interface ICommandOutputMessage {
  type: 'command_output';
  id: string | number;
  stream: 'stdout' | 'stderr';
  data: string;
}

export interface ICommandExitMessage {
  type: 'command_exit';
  id: string | number;
  exit_code: number | null;
  duration_ms?: number;
  /** Ended by `command_stop` (or its connection closing). */
  stopped?: boolean;
}

export interface ICommandSentMessage {
  type: 'command_sent';
  id: string | number;
  via: CommandVia;
}

export interface IPowerMessage {
  type: 'power';
  id?: string | number;
  action: PowerAction;
  ok: boolean;
  state?: string;
}

export interface IContainerEventMessage {
  type: 'container_event';
  event: string;
  container: IContainerSummary;
}

export interface IContainersMessage {
  type: 'containers';
  containers: IContainerSummary[];
  /** Each engine's state (name, url, reachable, error, counts, swarm). */
  engines?: { name: string; reachable: boolean; [key: string]: unknown }[];
}

export interface IErrorMessage {
  type: 'error';
  code: string;
  message: string;
  id?: string | number;
  retry_after?: number;
}

export interface IIdleWarningMessage {
  type: 'idle_warning';
  seconds_left: number;
}

/** What a `search` asks for (docs/protocol.md, "search"); `id` is added by the connection. */
export interface ISearchRequest {
  query: string;
  regex?: boolean;
  case_sensitive?: boolean;
  /** Unix seconds or RFC 3339. */
  since?: string | number | null;
  until?: string | number | null;
  stream?: 'stdout' | 'stderr';
  /** Levels among trace debug info warn error fatal. */
  level?: string[];
  /** Lines of context before and after each match (0–20). */
  context?: number;
  /** At most this many matches (1–10,000). */
  limit?: number;
}

/** One match of a search, oldest first. */
export interface ISearchMatch {
  cursor: string;
  stream: 'stdout' | 'stderr';
  line: string;
  level?: string;
  /** The member's name, in a merged view. */
  container?: string;
  before?: string[];
  after?: string[];
}

/** How far a search got: lines looked at, matches, Docker's timestamps of its span. */
export interface ISearchProgress {
  scanned: number;
  matches: number;
  first?: string | null;
  reached?: string | null;
}

export interface ISearchStartedMessage {
  type: 'search_started';
  id: string | number;
}

export interface ISearchResultsMessage {
  type: 'search_results';
  id: string | number;
  matches: ISearchMatch[];
}

export interface ISearchProgressMessage extends ISearchProgress {
  type: 'search_progress';
  id: string | number;
}

export interface ISearchEndMessage extends ISearchProgress {
  type: 'search_end';
  id: string | number;
  reason: 'done' | 'limit' | 'cancelled' | 'time_limit';
  complete?: boolean;
}

/** A line around a cursor (`context`). */
export interface IContextLine {
  cursor: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** The lines around one line: `index` is where it is among them (-1: it is gone). */
export interface IContextMessage {
  type: 'context';
  id: string | number;
  cursor: string;
  index: number;
  lines: IContextLine[];
}

/** One alert rule (docs/protocol.md, "alerts"): containers by one of server_id/project/label. */
export interface IAlertRule {
  server_id?: string;
  project?: string;
  pod?: string;
  label?: string;
  engine?: string;
  events?: ('died' | 'oom' | 'unhealthy')[];
  any_exit?: boolean;
  patterns?: string[];
}

/** A container died, was OOM-killed, turned unhealthy, or logged a line matching a pattern. */
export interface IAlertMessage {
  type: 'alert';
  kind: 'died' | 'oom' | 'unhealthy' | 'pattern';
  container: { id: string; name: string; engine?: string };
  message: string;
  exit_code?: number | null;
  last_lines?: string[];
  time?: number;
  pattern?: string;
  line?: string;
  cursor?: string;
  /** Alerts of this kind held back by the cooldown since the last one. */
  suppressed?: number;
}

/** The answer to `alerts`: how many rules are in force. */
export interface IAlertsMessage {
  type: 'alerts';
  id?: string | number;
  rules: number;
}

export interface IOtherMessage {
  type:
    | 'history_end'
    | 'disconnected'
    | 'heartbeat'
    | 'events'
    | 'stats_enabled'
    | 'shell_opened'
    | 'shell_attached'
    | 'shell_output'
    | 'shell_resized'
    | 'shell_exit';
  [key: string]: unknown;
}

/** Any frame the server sends. */
export type ServerMessage =
  | IHelloMessage
  | IConnectedMessage
  | ILogMessage
  | IStatusMessage
  | IStatsMessage
  | ICommandStartedMessage
  | ICommandOutputMessage
  | ICommandExitMessage
  | ICommandSentMessage
  | IPowerMessage
  | IContainerEventMessage
  | IContainersMessage
  | IErrorMessage
  | IIdleWarningMessage
  | IMemberAddedMessage
  | IDroppedMessage
  | IThrottledMessage
  | IMarkerMessage
  | ISearchStartedMessage
  | ISearchResultsMessage
  | ISearchProgressMessage
  | ISearchEndMessage
  | IContextMessage
  | IAlertMessage
  | IAlertsMessage
  | IOtherMessage;

/** The state as the UI shows it: Docker's state refined by the health check. */
export type DisplayState =
  | 'running'
  | 'healthy'
  | 'unhealthy'
  | 'starting'
  | 'paused'
  | 'restarting'
  | 'created'
  | 'exited'
  | 'failed'
  | 'dead'
  | 'removing'
  | 'unknown';

/** Map a summary to the state the UI shows. */
export function displayState(
  c: Pick<IContainerSummary, 'state' | 'health' | 'exit_code'>
): DisplayState {
  const state = (c.state || 'unknown').toLowerCase();
  if (state === 'running') {
    if (c.health === 'unhealthy') {
      return 'unhealthy';
    }
    if (c.health === 'starting') {
      return 'starting';
    }
    if (c.health === 'healthy') {
      return 'healthy';
    }
    return 'running';
  }
  if (state === 'exited') {
    return c.exit_code ? 'failed' : 'exited';
  }
  if (
    state === 'paused' ||
    state === 'restarting' ||
    state === 'created' ||
    state === 'dead' ||
    state === 'removing'
  ) {
    return state;
  }
  return 'unknown';
}

/** Whether Docker accepts a power action in a given state (what `conflict` would refuse). */
export function actionAllowed(
  action: PowerAction,
  state: string | undefined
): boolean {
  const s = (state || '').toLowerCase();
  switch (action) {
    case 'start':
      return s === 'exited' || s === 'created' || s === 'dead';
    case 'stop':
    case 'kill':
      return s === 'running' || s === 'restarting' || s === 'paused';
    case 'restart':
      return (
        s === 'running' || s === 'exited' || s === 'created' || s === 'paused'
      );
    case 'pause':
      return s === 'running';
    case 'unpause':
      return s === 'paused';
  }
  return false;
}

/** A human label for an action, as buttons and menus show it. */
export function actionLabel(action: PowerAction): string {
  return action === 'unpause'
    ? 'Resume'
    : action.charAt(0).toUpperCase() + action.slice(1);
}

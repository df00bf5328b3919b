/**
 * Every REST call of the labextension to `{base_url}api/littlewings/…` (docs/protocol.md and
 * the README's REST table): status, lists, power, logs downloads, a container's files, creating
 * and removing containers, the archive. Other modules call these functions; none builds a URL of
 * the API itself. The WebSocket is `console/socket.ts`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IImage } from './containerform';
import { IEngineState, INodeSummary, IServiceSummary } from './containerlist';
import {
  GroupTarget,
  IContainerSummary,
  IPermissions,
  PowerAction
} from './console';

/** What `GET api/littlewings/status` tells (fields the UI reads; others are kept). */
export interface IEngineStatus {
  /** Whether the Docker engine answers. */
  available: boolean;
  /** The engine's version, when it answers. */
  version?: string | null;
  /** Why it does not answer. */
  error?: string | null;
  permissions: IPermissions;
  /** Where jupyter-server-proxy serves local ports (`<base_url>proxy/`); null without it. */
  portProxy: string | null;
  raw: Record<string, unknown>;
}

/** An HTTP error from the LittleWings API, with the server's message. */
export class LittleWingsAPIError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    /** The field of a request body the error is about (a new container's `mem_limit`…). */
    readonly field: string | null = null
  ) {
    super(message);
  }
}

/**
 * Call `api/littlewings/<path>` on the Jupyter server: base_url, token and XSRF cookie are
 * handled by `ServerConnection`, so this works behind JupyterHub prefixes too.
 */
export async function requestAPI<T>(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const response = await requestRaw(path, init, settings);
  const text = await response.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** Like `requestAPI` but returns the response (for downloads). */
export async function requestRaw(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<Response> {
  const url = URLExt.join(settings.baseUrl, 'api/littlewings', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  if (!response.ok) {
    let message = response.statusText || `HTTP ${response.status}`;
    let code: string | null = null;
    let field: string | null = null;
    try {
      const body = await response.json();
      message = body.message || body.reason || message;
      code = body.error ?? body.code ?? null;
      field = typeof body.field === 'string' ? body.field : null;
    } catch {
      // Not JSON (a proxy's error page): keep the status text.
    }
    throw new LittleWingsAPIError(message, response.status, code, field);
  }
  return response;
}

/** The WebSocket URL of the LittleWings console endpoint. */
export function websocketUrl(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  let url = URLExt.join(settings.wsUrl, 'api/littlewings/ws');
  if (settings.appendToken && settings.token) {
    url += `?token=${encodeURIComponent(settings.token)}`;
  }
  return url;
}

/** Engine availability and permissions. */
export async function fetchStatus(): Promise<IEngineStatus> {
  const raw = await requestAPI<Record<string, unknown>>('status');
  return parseStatus(raw);
}

/** Read the status answer, tolerant of where the server puts the fields. */
export function parseStatus(raw: Record<string, unknown>): IEngineStatus {
  const engine = (raw.engine ?? {}) as Record<string, unknown>;
  const available = Boolean(
    engine.available ??
    raw.engine_available ??
    raw.available ??
    raw.docker_available ??
    false
  );
  const permissions = (raw.permissions ?? {
    read: true,
    write: true
  }) as IPermissions;
  return {
    available,
    version: (engine.version ??
      raw.engine_version ??
      raw.docker_version ??
      null) as string | null,
    error: (engine.error ?? raw.error ?? raw.engine_error ?? null) as
      string | null,
    permissions: {
      read: permissions.read !== false,
      // Read-only mode refuses every write whatever the Authorizer says.
      write: permissions.write !== false && raw.read_only !== true
    },
    portProxy: typeof raw.port_proxy === 'string' ? raw.port_proxy : null,
    raw
  };
}

/** The visible containers, of every engine (or of one: `engine`), and each engine's state. */
export async function fetchContainers(engine = ''): Promise<{
  containers: IContainerSummary[];
  engines: IEngineState[];
}> {
  const body = await requestAPI<unknown>(
    `containers${Private.engineQuery(engine)}`
  );
  if (Array.isArray(body)) {
    return { containers: body as IContainerSummary[], engines: [] };
  }
  const answer = (body ?? {}) as {
    containers?: IContainerSummary[];
    engines?: IEngineState[];
  };
  return {
    containers: answer.containers ?? [],
    engines: answer.engines ?? []
  };
}

/** The Swarm services of an engine that is a Swarm manager. */
export async function fetchServices(
  engine: string
): Promise<IServiceSummary[]> {
  const body = await requestAPI<{ services?: IServiceSummary[] }>(
    `services${Private.engineQuery(engine)}`
  );
  return body?.services ?? [];
}

/** A Swarm manager's nodes, each with the tasks it runs. */
export async function fetchNodes(engine: string): Promise<INodeSummary[]> {
  const body = await requestAPI<{ nodes?: INodeSummary[] }>(
    `nodes${Private.engineQuery(engine)}`
  );
  return body?.nodes ?? [];
}

/** Start, stop… a container. */
export async function powerContainer(
  id: string,
  action: PowerAction,
  engine = ''
): Promise<unknown> {
  const query = Private.engineQuery(engine);
  return requestAPI(`containers/${encodeURIComponent(id)}/power${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ action })
  });
}

/** Download the logs of a container as a text file. */
export async function downloadLogs(
  container: string,
  timestamps: boolean,
  engine = ''
): Promise<void> {
  const query = new URLSearchParams({
    timestamps: timestamps ? 'true' : 'false'
  });
  if (engine) {
    query.set('engine', engine);
  }
  const response = await requestRaw(
    `containers/${encodeURIComponent(container)}/logs?${query.toString()}`
  );
  await Private.save(response, `${container.replace(/[^\w.-]+/g, '_')}.log`);
}

/**
 * Download the logs of a group (`GET api/littlewings/logs`): one text file with each line after
 * its container's name, or a zip of one file per container.
 */
export async function downloadMergedLogs(
  target: GroupTarget,
  format: 'text' | 'zip',
  timestamps: boolean,
  engine = ''
): Promise<void> {
  const query = new URLSearchParams();
  let name: string;
  if ('service' in target) {
    query.set('service', target.service);
    name = target.service;
  } else if ('task' in target) {
    query.set('task', target.task);
    name = target.task;
  } else if ('project' in target) {
    query.set('project', target.project);
    name = target.project;
  } else if ('pod' in target) {
    query.set('pod', target.pod);
    name = target.pod;
  } else if ('label' in target) {
    query.set('label', target.label);
    name = target.label;
  } else {
    query.set('server_ids', target.server_ids.join(','));
    name = 'containers';
  }
  query.set('format', format);
  query.set('timestamps', timestamps ? '1' : '0');
  if (engine) {
    query.set('engine', engine);
  }
  const response = await requestRaw(`logs?${query.toString()}`);
  await Private.save(
    response,
    `${name.replace(/[^\w.-]+/g, '_')}.${format === 'zip' ? 'zip' : 'log'}`
  );
}

// ---- a container's files (the container drive) ---------------------------------------

/** `…/containers/{id}/files?path=…`: a file or folder of a container (GET), written (PUT),
 * made (POST) or removed (DELETE). */
export async function requestFiles<T>(
  container: string,
  engine: string,
  path: string,
  query: Record<string, string>,
  init: RequestInit = {},
  settings?: ServerConnection.ISettings
): Promise<T> {
  const search = URLExt.objectToQueryString({
    path,
    ...query,
    ...(engine ? { engine } : {})
  });
  return requestAPI<T>(
    `containers/${encodeURIComponent(container)}/files${search}`,
    {
      ...init,
      headers: init.body ? { 'Content-Type': 'application/json' } : undefined
    },
    settings
  );
}

/** The URL that downloads a container's file as it is (`raw=1`; the token in the query, as
 * JupyterLab's own download links carry it). */
export function filesDownloadUrl(
  container: string,
  engine: string,
  path: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  const base = URLExt.join(
    settings.baseUrl,
    'api/littlewings/containers',
    encodeURIComponent(container),
    'files'
  );
  const query: Record<string, string> = { path, raw: '1' };
  if (engine) {
    query.engine = engine;
  }
  if (settings.token) {
    query.token = settings.token;
  }
  return base + URLExt.objectToQueryString(query);
}

// ---- creating and removing containers ---------------------------------------------

/** The local images of an engine (a new container is made only from one). */
export async function fetchImages(engine = ''): Promise<IImage[]> {
  const body = await requestAPI<{ images?: IImage[] }>(
    `images${Private.engineQuery(engine)}`
  );
  return body?.images ?? [];
}

/** `POST api/littlewings/containers`: the new container's summary. */
export async function createContainer(
  spec: Record<string, unknown>,
  engine = ''
): Promise<IContainerSummary> {
  const body = await requestAPI<{ container: IContainerSummary }>(
    `containers${Private.engineQuery(engine)}`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(spec)
    }
  );
  return body.container;
}

/** `DELETE api/littlewings/containers/{id}`. */
export async function removeContainer(
  id: string,
  options: { force: boolean; volumes: boolean },
  engine = ''
): Promise<void> {
  const query = `force=${options.force ? 1 : 0}&volumes=${options.volumes ? 1 : 0}${Private.engineQuery(engine, '&')}`;
  await requestAPI(`containers/${encodeURIComponent(id)}?${query}`, {
    method: 'DELETE'
  });
}

// ---- the archive of removed containers ---------------------------------------------

/** How many of an archived container's last lines the archived logs view shows. */
export const ARCHIVE_TAIL = 5000;

/** A container of `GET api/littlewings/archive`. */
export interface IArchivedContainer {
  id: string;
  name: string;
  engine: string;
  image: string;
  first: string | null;
  last: string | null;
  lines: number;
  removed: boolean;
  /** When it was removed: seconds since the epoch (an RFC 3339 string is read too). */
  removed_at: number | string | null;
}

/** A line of `…/archive/{id}/logs?format=json`. */
export interface IArchivedLine {
  cursor: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** A match of `…/archive/{id}/search`. */
export interface IArchivedMatch extends IArchivedLine {
  before?: string[];
  after?: string[];
  level?: string;
}

/** `GET api/littlewings/archive`. */
export async function fetchArchive(): Promise<{
  archive: boolean;
  containers: IArchivedContainer[];
}> {
  const body = await requestAPI<{
    archive?: boolean;
    containers?: IArchivedContainer[];
  }>('archive');
  return {
    archive: body?.archive === true,
    containers: body?.containers ?? []
  };
}

/** The last `tail` archived lines of a container. */
export async function fetchArchivedLines(
  id: string,
  tail = ARCHIVE_TAIL
): Promise<IArchivedLine[]> {
  const body = await requestAPI<{ lines?: IArchivedLine[] }>(
    `archive/${encodeURIComponent(id)}/logs?format=json&tail=${tail}`
  );
  return body?.lines ?? [];
}

/** Search an archived container. */
export async function searchArchive(
  id: string,
  query: string,
  regex: boolean
): Promise<{ matches: IArchivedMatch[]; scanned?: number; reason?: string }> {
  const params = new URLSearchParams({
    query,
    context: '2',
    limit: '500'
  });
  if (regex) {
    params.set('regex', '1');
  }
  const body = await requestAPI<{
    matches?: IArchivedMatch[];
    scanned?: number;
    reason?: string;
  }>(`archive/${encodeURIComponent(id)}/search?${params.toString()}`);
  return {
    matches: body?.matches ?? [],
    scanned: body?.scanned,
    reason: body?.reason
  };
}

namespace Private {
  /** `?engine=<name>`, or nothing for the default engine. */
  export function engineQuery(engine: string, glue = '?'): string {
    return engine ? `${glue}engine=${encodeURIComponent(engine)}` : '';
  }

  /** Save a response as a file: the server's file name, else `fallback`. */
  export async function save(
    response: Response,
    fallback: string
  ): Promise<void> {
    const blob = await response.blob();
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const named = /filename="?([^";]+)"?/.exec(disposition);
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = named ? named[1] : fallback;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
}

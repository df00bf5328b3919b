import {
  DisplayState,
  IContainerSummary,
  IDroppedMessage,
  IPublishedPort,
  IThrottledMessage,
  displayState
} from './protocol';

/** The line a console shows where lines are missing: read too slowly, the engine's own
 * stream left them out, or the throttle. */
export function lossText(notice: IDroppedMessage | IThrottledMessage): string {
  if (notice.type === 'dropped') {
    return notice.reason === 'engine'
      ? `── ${notice.message ?? `${notice.lines ?? 'some'} lines were left out by the engine`} ──`
      : `── ${notice.lines ?? 'some'} lines were dropped: this view read too slowly ──`;
  }
  if (notice.state === 'on') {
    return `── ${notice.name ?? 'a container'} prints too fast: lines over the limit are dropped ──`;
  }
  return `── ${notice.name ?? 'a container'}: ${notice.dropped ?? 0} lines were dropped by the throttle ──`;
}

/** "3m", "2h 5m", "4d 3h": a short duration. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m`;
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  }
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

function parseTime(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === '') {
    return null;
  }
  const t = typeof value === 'number' ? value * 1000 : Date.parse(value);
  // Docker reports never-started containers as 0001-01-01.
  return Number.isFinite(t) && t > 86400000 ? t : null;
}

const UNITS: Record<string, number> = {
  second: 1000,
  minute: 60000,
  hour: 3600000,
  day: 86400000,
  week: 604800000,
  month: 2592000000,
  year: 31536000000
};

/** Milliseconds in a Docker human duration ("5 minutes", "About an hour", "Less than a second"). */
export function parseDockerDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t.startsWith('less than a second')) {
    return 0;
  }
  const m =
    /^(?:about )?(an?|\d+) (second|minute|hour|day|week|month|year)s?/.exec(t);
  if (!m) {
    return null;
  }
  const count = m[1] === 'a' || m[1] === 'an' ? 1 : Number(m[1]);
  return count * UNITS[m[2]];
}

/**
 * When the container started (or stopped), in ms: from the summary's time if it has one, else
 * estimated from Docker's status line ("Up 5 minutes") and when the list was fetched, so the
 * uptime keeps counting between refreshes.
 */
function since(
  c: IContainerSummary,
  field: 'started_at' | 'finished_at'
): number | null {
  const exact = parseTime(c[field]);
  if (exact) {
    return exact;
  }
  const listedAt = typeof c.listed_at === 'number' ? c.listed_at : null;
  const m = /^(?:Up|Exited \(-?\d+\)) (.+?)(?: ago)?(?: \(.*\))?$/.exec(
    c.status ?? ''
  );
  if (!listedAt || !m) {
    return null;
  }
  const duration = parseDockerDuration(m[1]);
  return duration === null ? null : listedAt - duration;
}

/** The words for a state, as tooltips and the console header show them. */
export const STATE_LABELS: Record<DisplayState, string> = {
  running: 'Running',
  healthy: 'Running (healthy)',
  unhealthy: 'Running (unhealthy)',
  starting: 'Running (health: starting)',
  paused: 'Paused',
  restarting: 'Restarting',
  created: 'Created',
  exited: 'Exited',
  failed: 'Exited with an error',
  dead: 'Dead',
  removing: 'Being removed',
  unknown: 'Unknown state'
};

/** "Up 5m", "Exited (137) 2h ago", "Paused": what a row shows next to the name. */
export function statusText(c: IContainerSummary, now = Date.now()): string {
  const state = displayState(c);
  const started = since(c, 'started_at');
  const finished = since(c, 'finished_at');
  switch (state) {
    case 'running':
    case 'healthy':
    case 'unhealthy':
    case 'starting':
      if (started) {
        return `Up ${shortDuration(now - started)}`;
      }
      return c.status || 'Running';
    case 'exited':
    case 'failed': {
      const code = c.exit_code ?? 0;
      if (finished) {
        const why = c.oom_killed ? ', OOM-killed' : '';
        return `Exited (${code}${why}) ${shortDuration(now - finished)} ago`;
      }
      return (
        (c.status || `Exited (${code})`) + (c.oom_killed ? ' · OOM-killed' : '')
      );
    }
    case 'paused':
      return 'Paused';
    case 'restarting':
      return 'Restarting';
    case 'created':
      return 'Created';
    default:
      return c.status || STATE_LABELS[state];
  }
}

/** The short image name: registry and digest trimmed. */
export function shortImage(image: string | undefined): string {
  if (!image) {
    return '';
  }
  if (image.startsWith('sha256:')) {
    return image.slice(7, 19);
  }
  return image.replace(/@sha256:[0-9a-f]+$/, '');
}

/**
 * Where a browser opens a published port: through jupyter-server-proxy when the server has it
 * (`proxy`, e.g. `/user/ana/proxy/`: the page's own origin and auth), else on the host the page
 * came from (or the address the port is bound to, when it is one). Null for a UDP port.
 */
export function portUrl(
  port: IPublishedPort,
  proxy: string | null,
  page: { protocol: string; hostname: string }
): string | null {
  if (port.protocol !== 'tcp') {
    return null;
  }
  if (proxy) {
    return `${proxy.endsWith('/') ? proxy : proxy + '/'}${port.host_port}/`;
  }
  const bound = port.host_ip;
  let host =
    !bound || bound === '0.0.0.0' || bound === '::' ? page.hostname : bound;
  if (host.includes(':') && !host.startsWith('[')) {
    host = `[${host}]`; // an IPv6 address in a URL
  }
  const scheme = page.protocol === 'https:' ? 'https:' : 'http:';
  return `${scheme}//${host}:${port.host_port}/`;
}

/** A published port as `docker ps` shows it: `8080→80`, `5353→53/udp`. */
export function portText(port: IPublishedPort): string {
  const suffix = port.protocol === 'tcp' ? '' : `/${port.protocol}`;
  return `${port.host_port}→${port.container_port}${suffix}`;
}

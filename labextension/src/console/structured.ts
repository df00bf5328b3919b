/**
 * Structured log lines for display: JSON and logfmt lines recognised, and a level, time and
 * message taken out; the same rules as the server's (littlewings_jupyter/parsing/structured.py,
 * its module docstring), so a level filter here and a `level` search there agree.
 *
 * Pure and cheap: it runs once per line as lines arrive (10,000+ a second). A plain-text line
 * (the common case) costs a look at its first character and one regular-expression search of
 * its first 200 characters; only a line that starts with `{` and ends with `}` is given to
 * `JSON.parse`, only one whose first word holds a `=` is tried as logfmt.
 */

/** The normalised levels, least severe first. */
export const LEVELS = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal'
] as const;

export type Level = (typeof LEVELS)[number];

/** A level's rank (trace 0 … fatal 5). */
export const LEVEL_RANK: Record<Level, number> = {
  trace: 0,
  debug: 1,
  info: 2,
  warn: 3,
  error: 4,
  fatal: 5
};

/** The keys a level is read from, in this order (the first recognised value wins). */
export const LEVEL_KEYS = [
  'level',
  'lvl',
  'levelname',
  'severity',
  '@l',
  'log.level',
  'loglevel',
  'log_level'
];
/** The keys a line's own time is read from, in this order. */
export const TIME_KEYS = [
  'time',
  'ts',
  'timestamp',
  '@t',
  '@timestamp',
  'asctime'
];
/** The keys a message is read from, in this order (the first one holding a string). */
export const MESSAGE_KEYS = ['msg', 'message', '@m', '@mt', 'event'];

/** One line taken apart. For a text line `message` is the whole line, `fields` empty. */
export interface IStructuredLine {
  format: 'json' | 'logfmt' | 'text';
  level: Level | null;
  /** The raw value of the line's time key (string or number), null when it has none. */
  time: string | number | null;
  message: string;
  /** The other keys, in the line's order (JSON values keep their types). */
  fields: Record<string, unknown>;
  /** For a text line with a level: where the level word is (to colour it), else -1. */
  levelAt: number;
  levelEnd: number;
}

const LEVEL_WORDS: Record<string, Level> = {
  trace: 'trace',
  trc: 'trace',
  trac: 'trace',
  verbose: 'trace',
  vrb: 'trace',
  finest: 'trace',
  finer: 'trace',
  debug: 'debug',
  dbg: 'debug',
  dbug: 'debug',
  debu: 'debug',
  fine: 'debug',
  debug1: 'debug',
  debug2: 'debug',
  debug3: 'debug',
  debug4: 'debug',
  debug5: 'debug',
  info: 'info',
  inf: 'info',
  information: 'info',
  informational: 'info',
  notice: 'info',
  note: 'info',
  config: 'info',
  log: 'info',
  warn: 'warn',
  warning: 'warn',
  wrn: 'warn',
  wrng: 'warn',
  error: 'error',
  err: 'error',
  eror: 'error',
  erro: 'error',
  severe: 'error',
  dpanic: 'error',
  fatal: 'fatal',
  ftl: 'fatal',
  fata: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  crt: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  panic: 'fatal',
  pnc: 'fatal',
  pani: 'fatal',
  panc: 'fatal'
};
const LEVEL_LETTERS: Record<string, Level> = {
  t: 'trace',
  v: 'trace',
  d: 'debug',
  i: 'info',
  n: 'info',
  w: 'warn',
  e: 'error',
  f: 'fatal',
  c: 'fatal'
};
const SYSLOG: Level[] = [
  'fatal',
  'fatal',
  'fatal',
  'error',
  'warn',
  'info',
  'info',
  'debug'
];
const SLOG_OFFSET = /^([a-z]+)[+-]\d+$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const UPPER_WORDS =
  'TRACE|TRAC|TRC|DEBUG|DEBU|DBUG|DBG|INFO|INF|NOTICE|WARNING|WARN|WRN|ERROR|ERRO|EROR|ERR' +
  '|SEVERE|CRITICAL|CRIT|ALERT|EMERG|FATAL|FATA|FTL|PANIC|PANI';
const ANY_CASE = new Set(
  'trace|debug|information|info|notice|note|warning|warn|error|err|severe|critical|crit|alert|emerg|fatal|panic'.split(
    '|'
  )
);
const START_WORDS = new Set([
  'trace',
  'debug',
  'info',
  'notice',
  'warn',
  'warning',
  'error',
  'err',
  'crit',
  'critical',
  'fatal',
  'panic'
]);
const TEXT_LEVEL = new RegExp(
  `(?:${UPPER_WORDS})(?=$|[\\s\\[\\]):>|,!/])|LOG(?=:)|DEBUG[1-5](?=:)` +
    '|\\[(?:[A-Za-z_]+:)?([A-Za-z]+)\\s*\\]|<([A-Za-z]+)\\s*>',
  'g'
);
const BEFORE_CAPITALS = ' \t\v\f[(<|.';
const LEVEL_PAIR = /(level|lvl|severity)="?([A-Za-z]+)/g;
const GLOG = /^([IWEF])\d{4} \d\d:\d\d:\d\d/;
const GLOG_LEVELS: Record<string, Level> = {
  I: 'info',
  W: 'warn',
  E: 'error',
  F: 'fatal'
};
const REDIS = /^\d+:[XCSM] \d\d [A-Z][a-z]{2} \d{4} [\d:.]+ ([.*#-]) /;
const REDIS_LEVELS: Record<string, Level> = {
  '.': 'debug',
  '-': 'debug',
  '*': 'info',
  '#': 'warn'
};
const PREFIX_CHARS = 200;
const PREFIX_WORDS = 8;
const LOGFMT_KEY = '[^\\s="]+';
const LOGFMT_VALUE = '"[^"\\\\]*(?:\\\\.[^"\\\\]*)*"|[^\\s"]*';
const LOGFMT_LINE = new RegExp(
  `^${LOGFMT_KEY}=(?:${LOGFMT_VALUE})(?:\\s+${LOGFMT_KEY}=(?:${LOGFMT_VALUE}))+$`
);
const LOGFMT_PAIR = new RegExp(`(${LOGFMT_KEY})=(${LOGFMT_VALUE})`, 'g');

/** The structure of one line's text (without its newline; one is ignored). */
export function parseLine(text: string): IStructuredLine {
  const stripped = text.trim();
  const first = stripped.charCodeAt(0);
  if (first === 123 /* { */) {
    if (stripped.charCodeAt(stripped.length - 1) === 125 /* } */) {
      let value: unknown = null;
      try {
        value = JSON.parse(stripped);
      } catch {
        value = null;
      }
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        return fromObject(value as Record<string, unknown>);
      }
    }
  } else if (stripped.indexOf('=') !== -1) {
    const space = stripped.indexOf(' ');
    const eq = stripped.indexOf('=');
    if (space === -1 || eq < space) {
      const pairs = parseLogfmt(stripped);
      if (pairs) {
        return fromPairs(pairs);
      }
    }
  }
  if (text.charCodeAt(text.length - 1) === 10 /* \n */) {
    // One newline is not part of the line (as the server's parse_line takes it).
    text = text.replace(/[\r\n]+$/, '');
  }
  const found = textLevel(text);
  return {
    format: 'text',
    level: found ? found.level : null,
    time: null,
    message: text,
    fields: {},
    levelAt: found ? found.at : -1,
    levelEnd: found ? found.end : -1
  };
}

/** A level value as a logger wrote it, as one of LEVELS (null if not a level). */
export function normalizeLevel(value: unknown): Level | null {
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    const level = LEVEL_WORDS[word];
    if (level) {
      return level;
    }
    if (word.length === 1) {
      return LEVEL_LETTERS[word] ?? null;
    }
    if (/^[0-9]{1,3}$/.test(word)) {
      return numericLevel(Number(word));
    }
    const offset = SLOG_OFFSET.exec(word);
    return offset ? (LEVEL_WORDS[offset[1]] ?? null) : null;
  }
  if (typeof value === 'number' && Number.isInteger(value)) {
    return numericLevel(value);
  }
  return null;
}

function numericLevel(n: number): Level | null {
  if (n >= 0 && n <= 7) {
    return SYSLOG[n];
  }
  if (n >= 10 && n <= 60) {
    return LEVELS[Math.floor((n - 1) / 10)];
  }
  return null;
}

/**
 * The level a plain-text line shows in its prefix, and where its word is (offsets in `text`,
 * or -1 when they cannot be told: a line with colour codes).
 */
export function textLevel(
  text: string
): { level: Level; at: number; end: number } | null {
  let prefix = text.slice(0, PREFIX_CHARS);
  let exact = true;
  if (prefix.indexOf('\x1b') !== -1) {
    prefix = text
      .slice(0, PREFIX_CHARS * 2)
      .replace(ANSI, '')
      .slice(0, PREFIX_CHARS);
    exact = false;
  }
  const where = (level: Level, at: number, end: number) =>
    exact ? { level, at, end } : { level, at: -1, end: -1 };
  const c = prefix.charAt(0);
  if (/[A-Za-z]/.test(c)) {
    if ('IWEF'.includes(c)) {
      const glog = GLOG.exec(prefix);
      if (glog) {
        return where(GLOG_LEVELS[glog[1]], 0, 1);
      }
    }
    const colon = prefix.indexOf(':', 3);
    if (colon !== -1 && colon < 13 && /\s/.test(prefix.charAt(colon + 1))) {
      const word = prefix.slice(0, colon).toLowerCase();
      if (START_WORDS.has(word)) {
        return where(LEVEL_WORDS[word], 0, colon);
      }
    }
  } else if (c >= '0' && c <= '9') {
    const colon = prefix.indexOf(':', 1);
    if (colon !== -1 && colon < 8 && prefix.charAt(colon + 2) === ' ') {
      const redis = REDIS.exec(prefix);
      if (redis) {
        const at = redis[0].length - 2;
        return where(REDIS_LEVELS[redis[1]], at, at + 1);
      }
    }
  }
  TEXT_LEVEL.lastIndex = 0;
  let found = TEXT_LEVEL.exec(prefix);
  while (found) {
    const at = found.index;
    const inner = found[1] ?? found[2];
    let word: string;
    if (inner === undefined) {
      if (at && !BEFORE_CAPITALS.includes(prefix.charAt(at - 1))) {
        TEXT_LEVEL.lastIndex = at + 1;
        found = TEXT_LEVEL.exec(prefix);
        continue;
      }
      word = found[0].toLowerCase();
    } else {
      word = inner.toLowerCase();
      if (!ANY_CASE.has(word)) {
        found = TEXT_LEVEL.exec(prefix);
        continue;
      }
    }
    const head = prefix.slice(0, at);
    const before = head.split(/\s+/).filter(Boolean);
    if (before.length >= PREFIX_WORDS) {
      return null;
    }
    if (
      head.toUpperCase() === head ||
      before.filter(w => /^[a-z]+$/.test(w)).length <= 1
    ) {
      return where(LEVEL_WORDS[word], at, at + found[0].length);
    }
    return null;
  }
  if (
    prefix.indexOf('=') !== -1 &&
    (prefix.includes('vel=') ||
      prefix.includes('lvl=') ||
      prefix.includes('rity='))
  ) {
    LEVEL_PAIR.lastIndex = 0;
    let pair = LEVEL_PAIR.exec(prefix);
    while (pair) {
      const at = pair.index;
      const word = pair[2].toLowerCase();
      if (
        (at === 0 || /\s/.test(prefix.charAt(at - 1))) &&
        ANY_CASE.has(word)
      ) {
        return where(LEVEL_WORDS[word], at, at + pair[0].length);
      }
      pair = LEVEL_PAIR.exec(prefix);
    }
  }
  return null;
}

/** A logfmt line's pairs in order (quoted values unescaped), or null if it is not one. */
export function parseLogfmt(text: string): Record<string, string> | null {
  const line = text.trim();
  if (!LOGFMT_LINE.test(line)) {
    return null;
  }
  const pairs: Record<string, string> = {};
  let count = 0;
  LOGFMT_PAIR.lastIndex = 0;
  let m = LOGFMT_PAIR.exec(line);
  while (m) {
    const value = m[2];
    if (!(m[1] in pairs)) {
      count++;
    }
    pairs[m[1]] = value.charAt(0) === '"' ? unquote(value) : value;
    m = LOGFMT_PAIR.exec(line);
  }
  return count >= 2 ? pairs : null;
}

function unquote(quoted: string): string {
  const inner = quoted.slice(1, -1);
  if (inner.indexOf('\\') === -1) {
    return inner;
  }
  try {
    return String(JSON.parse(quoted));
  } catch {
    return inner.replace(/\\(.)/g, '$1');
  }
}

function fromObject(fields: Record<string, unknown>): IStructuredLine {
  let level: Level | null = null;
  for (const key of LEVEL_KEYS) {
    if (key in fields) {
      level = normalizeLevel(fields[key]);
      if (level) {
        delete fields[key];
        break;
      }
    }
  }
  if (!level && fields.log && typeof fields.log === 'object') {
    const nested = fields.log as Record<string, unknown>;
    if ('level' in nested) {
      level = normalizeLevel(nested.level);
      if (level) {
        const rest = { ...nested };
        delete rest.level;
        if (Object.keys(rest).length) {
          fields.log = rest;
        } else {
          delete fields.log;
        }
      }
    }
  }
  let time: string | number | null = null;
  let timeKey = '';
  for (const key of TIME_KEYS) {
    const value = fields[key];
    if (typeof value === 'string' || typeof value === 'number') {
      time = value;
      timeKey = key;
      delete fields[key];
      break;
    }
  }
  let message = '';
  let messageKey = '';
  for (const key of MESSAGE_KEYS) {
    const value = fields[key];
    if (typeof value === 'string') {
      messageKey = key;
      if (key === '@mt') {
        message = renderTemplate(value, fields);
      } else {
        message = value;
        delete fields[key];
      }
      break;
    }
  }
  if (
    !level &&
    timeKey === '@t' &&
    (messageKey === '@m' || messageKey === '@mt')
  ) {
    level = 'info';
  }
  return {
    format: 'json',
    level,
    time,
    message,
    fields,
    levelAt: -1,
    levelEnd: -1
  };
}

function fromPairs(fields: Record<string, unknown>): IStructuredLine {
  let level: Level | null = null;
  for (const key of LEVEL_KEYS) {
    if (key in fields) {
      level = normalizeLevel(fields[key]);
      if (level) {
        delete fields[key];
        break;
      }
    }
  }
  let time: string | number | null = null;
  for (const key of TIME_KEYS) {
    if (key in fields) {
      time = fields[key] as string;
      delete fields[key];
      break;
    }
  }
  let message = '';
  for (const key of MESSAGE_KEYS) {
    if (typeof fields[key] === 'string') {
      message = fields[key] as string;
      delete fields[key];
      break;
    }
  }
  return {
    format: 'logfmt',
    level,
    time,
    message,
    fields,
    levelAt: -1,
    levelEnd: -1
  };
}

/** A Serilog message template with its holes filled from the line's properties. */
function renderTemplate(
  template: string,
  fields: Record<string, unknown>
): string {
  return template.replace(
    /\{\{|\}\}|\{[@$]?([A-Za-z_][A-Za-z0-9_.]*)(?:[,:][^}]*)?\}/g,
    (hole, name: string | undefined) => {
      if (hole === '{{') {
        return '{';
      }
      if (hole === '}}') {
        return '}';
      }
      if (name && name in fields) {
        const value = fields[name];
        return typeof value === 'string' ? value : JSON.stringify(value);
      }
      return hole;
    }
  );
}

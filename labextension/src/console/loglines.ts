import { iconNode } from './icons';
import { LEVELS, LEVEL_RANK, Level, parseLine } from './structured';

// ANSI sequences of the view. Colours are the xterm palette's, which follows JupyterLab's
// theme (theme.ts: red is --jp-error-color1, yellow --jp-warn-color1 …).
const RESET = '\x1b[0m';
const STDERR = '\x1b[31m';
const DIM = '\x1b[2m';
const DIM_OFF = '\x1b[22m';
const LEVEL_OFF = '\x1b[22;27;39m';
const FG_OFF = '\x1b[39m';
const ERASE_RIGHT = '\x1b[K';
const TIMESTAMP =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;

/** The line that ends a Python traceback (`ValueError: bad`, `module.Error`), or a Java
 * exception's (`java.lang.IllegalStateException: …`). */
const EXCEPTION_LINE =
  /^[A-Za-z_][\w.$]*(?:Error|Exception|Exit|Interrupt|Warning|Failure|Fault)\b(?::|$)/;

// eslint-disable-next-line no-control-regex
const RESETS = /\x1b\[(?:0*|[0-9;]*;0*)m|\x1b\[49m/g;

/** How each level is drawn: its word (5 wide) and its colour. */
export const LEVEL_STYLE: Record<Level, { word: string; sgr: string }> = {
  trace: { word: 'TRACE', sgr: '\x1b[2m' },
  debug: { word: 'DEBUG', sgr: '\x1b[34m' },
  info: { word: 'INFO ', sgr: '\x1b[32m' },
  warn: { word: 'WARN ', sgr: '\x1b[33m' },
  error: { word: 'ERROR', sgr: '\x1b[1;31m' },
  fatal: { word: 'FATAL', sgr: '\x1b[1;7;31m' }
};

/** One line of a log view, as kept to draw it again (a filter, a toggle, a theme change). */
export interface ILogLine {
  /** The container's name in a merged view ('' in a single console); null for the console's
   * own lines (notices, command echoes), which no filter hides. */
  container: string | null;
  stream: 'stdout' | 'stderr';
  /** The line without its newline (Docker's timestamp in front when asked for); for the
   * console's own lines, the text to write as it is (ANSI, with its line ends). */
  text: string;
  /** The level found in the line (set when it was drawn; undefined: not looked at yet). */
  level?: Level | null;
  /** The id of a record with lines under it (fields of several lines, or a traceback's lines
   * that go on it): its fold mark's link names it. */
  record?: number;
  /** How many lines go on this one (a traceback's), counted once each. */
  continuations?: number;
  /** This line goes on the record of that id (a traceback's line), and is counted in it. */
  partOf?: number;
  /** A line the view adds about its container (where its history begins): drawn dimmed as it
   * is, hidden with the container, never by a level filter. */
  marker?: boolean;
}

/**
 * The recent lines of a view, bounded by the scrollback: both consoles keep one, to draw the
 * view again without the lines a filter hides, and with them when it is lifted.
 */
export class LogBuffer {
  constructor(limit: number) {
    this.limit = limit;
  }

  /** How many lines are kept (the scrollback). */
  limit: number;

  get lines(): readonly ILogLine[] {
    return this._lines;
  }

  /**
   * The whole lines of a frame of one container's stream: the piece a frame ended with
   * (a `partial` line) waits for the rest.
   */
  split(key: string, data: string): string[] {
    const parts = ((this._pieces.get(key) ?? '') + data).split('\n');
    const rest = parts.pop() ?? '';
    if (rest) {
      this._pieces.set(key, rest);
    } else {
      this._pieces.delete(key);
    }
    return parts;
  }

  push(lines: ILogLine[]): void {
    for (const line of lines) {
      this._lines.push(line);
    }
    // Trim in steps, not on every line: a splice copies the whole array.
    if (this._lines.length > this.limit + Math.max(500, this.limit >> 3)) {
      this.trim();
    }
  }

  trim(): void {
    if (this._lines.length > this.limit) {
      this._lines.splice(0, this._lines.length - this.limit);
    }
  }

  /** Forget the lines (and any piece of a line waiting for its rest). */
  clear(): void {
    this._lines = [];
    this._pieces.clear();
  }

  private _lines: ILogLine[] = [];
  private _pieces = new Map<string, string>();
}

/** What a view shows of its lines. */
export interface ILineFormatOptions {
  /** Show lines as they came (no JSON/logfmt layout, no level colours). */
  raw: boolean;
  /** Hide lines below this level (null: show every line). */
  minLevel: Level | null;
  /** Show Docker's timestamp where a line has one in front (dimmed). */
  timestamps: boolean;
  /** What goes before a container's line (a merged view's coloured name). */
  prefix?: (container: string) => string;
  /** The background of stderr lines (#RRGGBB: a faint tint of the theme's red), so a line's
   * stream still shows once its colour says its level; null or absent: no tint. */
  stderrTint?: string | null;
}

/** The link a record's fold mark is (an OSC 8 hyperlink the view hands to `toggle`). */
export const FOLD_SCHEME = 'littlewings-fold:';

/** A JSON or logfmt field that holds several lines (a traceback, a stack), drawn under its
 * record. */
export interface IFieldBlock {
  key: string;
  lines: string[];
}

/**
 * Draws lines for xterm, coloured by the level read from each line, not by its stream:
 * JSON and logfmt lines as `LEVEL time message key=value…` (the level coloured, the other keys
 * dimmed), the level word of a text line in the level's colour, an error's or fatal's text red.
 * A stderr line gets a faint red background (`stderrTint`); only a stderr line with no level
 * (and none from the record it continues) is drawn red. `render` gives null for a line the
 * level filter hides.
 *
 * Records of several lines stay together: a field of a JSON or logfmt line that holds a
 * traceback (any multi-line text: `exc`, `stack`, `error.stack`…) is drawn under its record,
 * indented, with a fold mark that hides it (`toggle`); the lines of a text traceback (indented,
 * `Traceback`, `Caused by:`, and the exception line that ends a Python one) take the colour and
 * the filter verdict of the line they continue, per container.
 */
export class LineFormatter {
  constructor(options: ILineFormatOptions) {
    this.options = options;
  }

  options: ILineFormatOptions;

  /** Start over (before the view is drawn again from its first line). */
  reset(): void {
    this._last.clear();
  }

  /** Fold or unfold the record a fold mark's link names; false if it names none. */
  toggle(uri: string): boolean {
    if (!uri.startsWith(FOLD_SCHEME)) {
      return false;
    }
    const id = Number(uri.slice(FOLD_SCHEME.length));
    if (!Number.isInteger(id) || id <= 0 || id > this._nextRecord) {
      return false;
    }
    if (!this._folded.delete(id)) {
      this._folded.add(id);
    }
    return true;
  }

  /** Whether a record (by the id in its fold mark's link) is folded. */
  isFolded(line: ILogLine): boolean {
    return line.record !== undefined && this._folded.has(line.record);
  }

  /** The text to write for a line (with its `\r\n`), or null when it is filtered out. */
  render(line: ILogLine): string | null {
    if (line.container === null) {
      return line.text;
    }
    if (line.marker) {
      return `${DIM}${line.text}${RESET}\r\n`;
    }
    const { raw, minLevel, timestamps, prefix, stderrTint } = this.options;
    let text = line.text;
    let time = '';
    if (text.charCodeAt(0) >= 48 && text.charCodeAt(0) <= 57) {
      const stamp = TIMESTAMP.exec(text);
      if (stamp) {
        text = text.slice(stamp[0].length);
        if (timestamps) {
          time = `${DIM}${stamp[1]}${DIM_OFF} `;
        }
      }
    }
    const tint =
      line.stream === 'stderr' && stderrTint && !raw
        ? Private.background(stderrTint)
        : '';
    const head = tint + (prefix ? prefix(line.container) : '') + time;
    const end = tint ? `${ERASE_RIGHT}${RESET}\r\n` : '\r\n';
    if (raw && minLevel === null) {
      return head + Private.plain(text, line.stream) + '\r\n';
    }
    const parsed = parseLine(text);
    line.level = parsed.level;
    // The record a line without a level of its own goes on (a stack trace's lines).
    const last = this._last.get(line.container);
    let level = parsed.level;
    let continued = false;
    let first = false;
    if (level === null && last !== undefined && Private.continues(text, last)) {
      continued = true;
      first = !last.continued;
      level = last.level;
      last.continued = true;
      const owner = last.head;
      if (owner.record === undefined) {
        owner.record = ++this._nextRecord;
      }
      if (line.partOf === undefined) {
        line.partOf = owner.record;
        owner.continuations = (owner.continuations ?? 0) + 1;
      }
    } else {
      this._last.set(line.container, { level, continued: false, head: line });
    }
    if (minLevel !== null) {
      if (level === null || LEVEL_RANK[level] < LEVEL_RANK[minLevel]) {
        return null;
      }
    }
    if (raw) {
      return head + Private.plain(text, line.stream) + '\r\n';
    }
    // A traceback's lines fold to one row (the first of them), and unfold again.
    let mark = '';
    if (continued && last !== undefined && line.partOf !== undefined) {
      const id = line.partOf;
      if (this._folded.has(id)) {
        if (!first) {
          return null;
        }
        const count = last.head.continuations ?? 0;
        const label = `▸ ${count} more line${count === 1 ? '' : 's'}`;
        return head + '  ' + Private.link(FOLD_SCHEME + id, label) + end;
      }
      if (first) {
        mark = ' ' + Private.link(FOLD_SCHEME + id, '▾ fold');
      }
    }
    if (parsed.format !== 'text' && (parsed.level || parsed.message)) {
      const blocks = Private.blocks(parsed);
      let out = head + Private.structured(parsed, blocks, tint);
      if (blocks.length) {
        if (line.record === undefined) {
          line.record = ++this._nextRecord;
        }
        const folded = this._folded.has(line.record);
        const count = blocks.reduce((n, b) => n + b.lines.length, 0);
        const keys = blocks.map(b => b.key).join(', ');
        // (Never a link of one cell at a row's end: xterm 6 does not find it under the
        // pointer.)
        const mark = folded
          ? `▸ ${keys}: ${count} more line${count === 1 ? '' : 's'}`
          : `▾ ${keys}`;
        out += ` ${Private.link(FOLD_SCHEME + line.record, mark)}`;
        if (!folded) {
          // In a merged view each row keeps its container's name in front.
          const lead = prefix ? prefix(line.container) : '';
          const color = Private.bodyColor(parsed.level);
          for (const block of blocks) {
            out += `${end}${tint}${lead}  ${DIM}${block.key}:${DIM_OFF}`;
            for (const text of block.lines) {
              out += `${end}${tint}${lead}    ${color}${Private.keepTint(text, tint)}${color ? FG_OFF : ''}`;
            }
          }
        }
      }
      return out + end;
    }
    if (level !== null) {
      const color = Private.bodyColor(level);
      const body = Private.keepTint(text, tint);
      if (!continued && parsed.levelAt >= 0) {
        const style = LEVEL_STYLE[level];
        return (
          head +
          color +
          text.slice(0, parsed.levelAt) +
          style.sgr +
          text.slice(parsed.levelAt, parsed.levelEnd) +
          LEVEL_OFF +
          color +
          Private.keepTint(text.slice(parsed.levelEnd), tint) +
          (color ? FG_OFF : '') +
          end
        );
      }
      // A continued line, or one whose level sits among the program's own colours.
      return head + color + body + (color ? FG_OFF : '') + mark + end;
    }
    if (line.stream === 'stderr' && text) {
      return head + STDERR + Private.keepTint(text, tint) + FG_OFF + mark + end;
    }
    return head + Private.keepTint(text, tint) + mark + end;
  }

  private _last = new Map<
    string,
    { level: Level | null; continued: boolean; head: ILogLine }
  >();
  private _folded = new Set<number>();
  private _nextRecord = 0;
}

/** Where the record a fold mark's link names is in `lines` (-1: not there). */
export function recordAt(
  lines: readonly { record?: number }[],
  uri: string
): number {
  const id = Number(uri.slice(FOLD_SCHEME.length));
  return lines.findIndex(line => line.record === id);
}

/**
 * The toolbar's "Raw lines" toggle and minimum-level filter (both consoles have them);
 * `onChange` is called with what they say after each change.
 */
export function lineControls(
  onChange: (options: { raw: boolean; minLevel: Level | null }) => void
): { raw: HTMLButtonElement; level: HTMLSelectElement } {
  const raw = document.createElement('button');
  raw.type = 'button';
  raw.className = 'jp-LittleWings-button jp-LittleWings-rawLines';
  raw.title =
    'Raw lines: show JSON and logfmt lines as they came (off: level, time and message, the other keys dimmed)';
  raw.setAttribute('aria-label', 'Raw lines');
  raw.setAttribute('aria-pressed', 'false');
  const label = document.createElement('span');
  label.className = 'jp-LittleWings-buttonLabel';
  label.textContent = 'Raw';
  raw.append(iconNode('raw'), label);
  const level = document.createElement('select');
  level.className = 'jp-LittleWings-levelFilter';
  level.setAttribute('aria-label', 'Minimum level');
  level.title =
    'Hide lines below a level (a line without one is hidden too, unless it continues a shown line, as a stack trace does)';
  for (const value of ['', 'debug', 'info', 'warn', 'error']) {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = value ? `≥ ${value}` : 'All levels';
    level.appendChild(option);
  }
  const emit = () =>
    onChange({
      raw: raw.getAttribute('aria-pressed') === 'true',
      minLevel: (LEVELS as readonly string[]).includes(level.value)
        ? (level.value as Level)
        : null
    });
  raw.addEventListener('click', () => {
    const on = raw.getAttribute('aria-pressed') !== 'true';
    raw.setAttribute('aria-pressed', String(on));
    raw.classList.toggle('jp-mod-active', on);
    emit();
  });
  level.addEventListener('change', emit);
  return { raw, level };
}

namespace Private {
  export function plain(text: string, stream: 'stdout' | 'stderr'): string {
    return stream === 'stderr' && text ? `${STDERR}${text}${RESET}` : text;
  }

  /** The text colour of a record's body: red for an error or worse, else the theme's own. */
  export function bodyColor(level: Level | null): string {
    return level !== null && LEVEL_RANK[level] >= LEVEL_RANK.error
      ? STDERR
      : '';
  }

  /** SGR of a #RRGGBB background. */
  export function background(hex: string): string {
    const n = parseInt(hex.slice(1, 7), 16);
    if (!/^#[0-9a-fA-F]{6}$/.test(hex) || Number.isNaN(n)) {
      return '';
    }
    return `\x1b[48;2;${(n >> 16) & 255};${(n >> 8) & 255};${n & 255}m`;
  }

  /** A program's own colour codes in a stderr line: the tint goes on after each reset. */
  export function keepTint(text: string, tint: string): string {
    if (!tint || text.indexOf('\x1b[') === -1) {
      return text;
    }
    return text.replace(RESETS, m => m + tint);
  }

  /** An OSC 8 hyperlink (xterm hands its URI to the view's link handler), underlined dim. */
  export function link(uri: string, text: string): string {
    return `\x1b]8;;${uri}\x07${DIM}${text}${DIM_OFF}\x1b]8;;\x07`;
  }

  /**
   * Whether a line without a level goes on the record before it: an indented line,
   * `Traceback …`, `Caused by: …`, Python's "During handling…", after such lines the
   * `SomeError: message` line that ends a Python traceback, and a Java exception's first line
   * (`java.lang.IllegalStateException: …`) right after the line logged with it.
   */
  export function continues(
    text: string,
    last: { level: Level | null; continued: boolean }
  ): boolean {
    const c = text.charCodeAt(0);
    if (
      c === 32 ||
      c === 9 ||
      text.startsWith('Caused by') ||
      text.startsWith('Traceback') ||
      text.startsWith('During handling of the above exception') ||
      text.startsWith('The above exception was the direct cause')
    ) {
      return true;
    }
    if (!EXCEPTION_LINE.test(text)) {
      return false;
    }
    // After a traceback's lines; or a Java exception (a qualified name) right after the line
    // a logger wrote it with.
    return (
      last.continued ||
      (last.level !== null && /^[a-z][\w$]*\.[\w.$]+:/.test(text))
    );
  }

  /** The fields of a structured record that hold several lines (and a multi-line message's
   * lines after its first), taken out of it to be drawn under it. */
  export function blocks(parsed: ReturnType<typeof parseLine>): IFieldBlock[] {
    const found: IFieldBlock[] = [];
    const take = (key: string, value: unknown): boolean => {
      if (typeof value === 'string' && /\r?\n/.test(value.trimEnd())) {
        found.push({ key, lines: value.trimEnd().split(/\r?\n/) });
        return true;
      }
      return false;
    };
    for (const key of Object.keys(parsed.fields)) {
      const value = parsed.fields[key];
      if (take(key, value)) {
        delete parsed.fields[key];
      } else if (value && typeof value === 'object' && !Array.isArray(value)) {
        const inner = value as Record<string, unknown>;
        for (const name of Object.keys(inner)) {
          if (take(`${key}.${name}`, inner[name])) {
            const rest = { ...inner };
            delete rest[name];
            if (Object.keys(rest).length) {
              parsed.fields[key] = rest;
            } else {
              delete parsed.fields[key];
            }
            break;
          }
        }
      }
    }
    const lines = parsed.message.trimEnd().split(/\r?\n/);
    if (lines.length > 1) {
      parsed.message = lines[0];
      found.unshift({ key: 'message', lines: lines.slice(1) });
    }
    return found;
  }

  export function structured(
    parsed: ReturnType<typeof parseLine>,
    blocks: IFieldBlock[],
    tint: string
  ): string {
    let out = '';
    if (parsed.level) {
      const style = LEVEL_STYLE[parsed.level];
      out += `${style.sgr}${style.word}${LEVEL_OFF} `;
    }
    if (parsed.time !== null) {
      out += `${DIM}${timeText(parsed.time)}${DIM_OFF} `;
    }
    const color = bodyColor(parsed.level);
    out += color + keepTint(parsed.message.replace(/[\r\n]+/g, ' '), tint);
    out += color ? FG_OFF : '';
    const keys = Object.keys(parsed.fields);
    if (keys.length) {
      let tail = '';
      for (const key of keys) {
        tail += ` ${key}=${valueText(parsed.fields[key])}`;
      }
      out += `${DIM}${tail}${DIM_OFF}`;
    }
    return out;
  }

  function timeText(value: string | number): string {
    if (typeof value === 'number' && Number.isFinite(value)) {
      // Epoch milliseconds (pino), else seconds.
      const ms = value > 1e11 ? value : value * 1000;
      const date = new Date(ms);
      return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
    }
    return String(value);
  }

  function valueText(value: unknown): string {
    if (typeof value === 'string') {
      return value === '' || /[\s"=]/.test(value)
        ? JSON.stringify(value)
        : value;
    }
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text;
  }
}

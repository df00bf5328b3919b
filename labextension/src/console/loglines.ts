import { iconNode } from './icons';
import { LEVELS, LEVEL_RANK, Level, parseLine } from './structured';

// ANSI sequences of the view. Colours are the xterm palette's, which follows JupyterLab's
// theme (theme.ts: red is --jp-error-color1, yellow --jp-warn-color1 …).
const RESET = '\x1b[0m';
const STDERR = '\x1b[31m';
const DIM = '\x1b[2m';
const DIM_OFF = '\x1b[22m';
const LEVEL_OFF = '\x1b[22;27;39m';
const TIMESTAMP =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;

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
}

/**
 * Draws lines for xterm: JSON and logfmt lines as `LEVEL time message key=value…` (the level
 * coloured, the other keys dimmed), the level word of a text line in the level's colour,
 * stderr in red; `render` gives null for a line the level filter hides.
 *
 * The level filter keeps a line without a level of its own only when it continues one that is
 * shown (an indented line, as a stack trace's, or `Caused by:`/`Traceback`), per container.
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

  /** The text to write for a line (with its `\r\n`), or null when it is filtered out. */
  render(line: ILogLine): string | null {
    if (line.container === null) {
      return line.text;
    }
    const { raw, minLevel, timestamps, prefix } = this.options;
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
    const head = (prefix ? prefix(line.container) : '') + time;
    if (raw && minLevel === null) {
      return head + Private.plain(text, line.stream) + '\r\n';
    }
    const parsed = parseLine(text);
    let level = parsed.level;
    if (level === null && minLevel !== null) {
      // A line that goes on the one before (a stack trace) is shown with it.
      level = Private.continues(text)
        ? (this._last.get(line.container) ?? null)
        : null;
    }
    line.level = parsed.level;
    if (minLevel !== null) {
      if (parsed.level !== null) {
        this._last.set(line.container, parsed.level);
      }
      if (level === null || LEVEL_RANK[level] < LEVEL_RANK[minLevel]) {
        return null;
      }
    }
    if (raw) {
      return head + Private.plain(text, line.stream) + '\r\n';
    }
    if (parsed.format !== 'text' && (parsed.level || parsed.message)) {
      return head + Private.structured(parsed) + '\r\n';
    }
    if (parsed.level && parsed.levelAt >= 0) {
      const style = LEVEL_STYLE[parsed.level];
      const base = line.stream === 'stderr' ? STDERR : '';
      const out =
        base +
        text.slice(0, parsed.levelAt) +
        style.sgr +
        text.slice(parsed.levelAt, parsed.levelEnd) +
        LEVEL_OFF +
        base +
        text.slice(parsed.levelEnd) +
        (base ? RESET : '');
      return head + out + '\r\n';
    }
    return head + Private.plain(text, line.stream) + '\r\n';
  }

  private _last = new Map<string, Level>();
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

  /** An indented line, or one that says it goes on a trace. */
  export function continues(text: string): boolean {
    const c = text.charCodeAt(0);
    return (
      c === 32 ||
      c === 9 ||
      text.startsWith('Caused by') ||
      text.startsWith('Traceback')
    );
  }

  export function structured(parsed: ReturnType<typeof parseLine>): string {
    let out = '';
    if (parsed.level) {
      const style = LEVEL_STYLE[parsed.level];
      out += `${style.sgr}${style.word}${LEVEL_OFF} `;
    }
    if (parsed.time !== null) {
      out += `${DIM}${timeText(parsed.time)}${DIM_OFF} `;
    }
    out += parsed.message.replace(/[\r\n]+/g, ' ');
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

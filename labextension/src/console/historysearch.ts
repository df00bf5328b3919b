/**
 * "Search all history" (the panel a console opens). It stays whole because its form, the
 * matches streamed in and the jump to a match share one search's state.
 */
import { ConsoleConnection, HistorySearch, SearchEnd } from './connection';
import { iconNode } from './icons';
import {
  IContextLine,
  ISearchMatch,
  ISearchProgress,
  ISearchRequest
} from './protocol';
import { LEVELS, Level, parseLine } from './structured';

/** Context lines sent with each match, and lines loaded around a match to jump to it. */
const MATCH_CONTEXT = 2;
const JUMP_CONTEXT = 50;
const MORE_LINES = 100;
const LIMIT = 1000;

/**
 * "Search all history": a panel that searches a container's (or a merged view's) whole log
 * history on the server — text or a regular expression, case, a time range, a stream, a
 * minimum level — and lists the matches with their context as they stream in, with the
 * progress and a Cancel. Clicking a match loads the lines around it (`context`) into a jump
 * view over the live log, the match highlighted, with a way back to live: a line far beyond
 * the browser's scrollback is reachable.
 */
export class HistorySearchPanel {
  constructor(options: HistorySearchPanel.IOptions) {
    this._connection = options.connection;
    this._colorOf = options.colorOf ?? null;
    this.node = document.createElement('div');
    this.node.className = 'jp-LittleWings-historySearch';
    this.node.hidden = true;
    this.node.setAttribute('role', 'search');
    this.node.setAttribute('aria-label', 'Search all history');
    this._buildForm();
    this._progressNode = document.createElement('div');
    this._progressNode.className = 'jp-LittleWings-hsProgress';
    this._progressNode.setAttribute('aria-live', 'polite');
    this._resultsNode = document.createElement('div');
    this._resultsNode.className = 'jp-LittleWings-hsResults';
    this._resultsNode.setAttribute('role', 'list');
    this._resultsNode.addEventListener('click', event => {
      const item = (event.target as HTMLElement).closest<HTMLElement>(
        '.jp-LittleWings-hsResult'
      );
      if (item) {
        void this._jumpTo(item);
      }
    });
    this._resultsNode.addEventListener('keydown', event => {
      const item = (event.target as HTMLElement).closest<HTMLElement>(
        '.jp-LittleWings-hsResult'
      );
      if (item && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        void this._jumpTo(item);
      }
    });
    this.node.append(this._form, this._progressNode, this._resultsNode);

    this.jumpNode = document.createElement('div');
    this.jumpNode.className = 'jp-LittleWings-jumpView';
    this.jumpNode.hidden = true;
    this._buildJump();
  }

  /** The panel (query, filters, progress, results): goes above the log area. */
  readonly node: HTMLDivElement;

  /** The jump view: goes inside the log area, over the live log. */
  readonly jumpNode: HTMLDivElement;

  get isOpen(): boolean {
    return !this.node.hidden;
  }

  /** Show the panel and put the focus in its query. */
  open(query?: string): void {
    this.node.hidden = false;
    if (query && !this._query.value) {
      this._query.value = query;
    }
    this._query.focus();
    this._query.select();
  }

  /** Hide the panel (a running search is cancelled) and the jump view. */
  close(): void {
    this.node.hidden = true;
    this._search?.cancel();
    this.backToLive();
  }

  toggle(query?: string): void {
    if (this.isOpen) {
      this.close();
    } else {
      this.open(query);
    }
  }

  /** Search with what the form says. */
  start(): void {
    const request = this._request();
    if (!request) {
      return;
    }
    this._search?.cancel();
    this._resultsNode.replaceChildren();
    this._count = 0;
    this._highlight = Private.highlighter(request);
    this._setRunning(true);
    this._progressNode.textContent = 'Searching…';
    this._progressNode.dataset.state = 'running';
    const search = this._connection.search(request);
    this._search = search;
    search.results.connect((_, matches) => this._addResults(matches));
    search.progress.connect((_, progress) =>
      this._showProgress(progress, 'running')
    );
    search.ended.connect((_, end) => this._onEnd(search, end));
    if (search.end) {
      this._onEnd(search, search.end);
    }
  }

  /** Stop the running search. */
  cancel(): void {
    this._search?.cancel();
  }

  /** Leave the jump view: the live log again. */
  backToLive(): void {
    this.jumpNode.hidden = true;
    this._jumpLines = [];
    this._jumpBody.replaceChildren();
  }

  dispose(): void {
    this._search?.cancel();
    this._search = null;
  }

  // ---- the form ---------------------------------------------------------------------------

  private _buildForm(): void {
    const form = (this._form = document.createElement('form'));
    form.className = 'jp-LittleWings-hsForm';
    form.addEventListener('submit', event => {
      event.preventDefault();
      this.start();
    });
    form.addEventListener('keydown', event => {
      // The console's own keys (its Escape, the command box's) stay out of the form.
      event.stopPropagation();
      if (event.key === 'Escape') {
        event.preventDefault();
        if (this._search && !this._search.end) {
          this.cancel();
        } else {
          this.close();
        }
      }
    });
    const query = (this._query = Private.input(
      'jp-LittleWings-hsQuery',
      'Search all history (text, or a regular expression)',
      'Search all history'
    ));
    query.type = 'search';
    const regex = (this._regex = Private.checkbox(
      'jp-LittleWings-hsRegex',
      '.*',
      'Regular expression (Python syntax; ^ and $ are a line’s ends)'
    ));
    const caseSensitive = (this._case = Private.checkbox(
      'jp-LittleWings-hsCase',
      'Aa',
      'Match case'
    ));
    this._since = Private.input(
      'jp-LittleWings-hsSince',
      'since: 15m, 2h, 2026-12-03 06:00',
      'Since (a time, or how long ago: 30s, 15m, 2h, 1d)'
    );
    this._until = Private.input(
      'jp-LittleWings-hsUntil',
      'until',
      'Until (a time, or how long ago)'
    );
    this._stream = Private.select('jp-LittleWings-hsStream', 'Stream', [
      ['', 'stdout + stderr'],
      ['stdout', 'stdout'],
      ['stderr', 'stderr']
    ]);
    this._level = Private.select('jp-LittleWings-hsLevel', 'Minimum level', [
      ['', 'any level'],
      ['debug', '≥ debug'],
      ['info', '≥ info'],
      ['warn', '≥ warn'],
      ['error', '≥ error']
    ]);
    const start = (this._startButton = document.createElement('button'));
    start.type = 'submit';
    start.className = 'jp-LittleWings-button jp-LittleWings-hsStart';
    start.textContent = 'Search';
    const cancel = (this._cancelButton = document.createElement('button'));
    cancel.type = 'button';
    cancel.className = 'jp-LittleWings-button jp-LittleWings-hsCancel';
    cancel.textContent = 'Cancel';
    cancel.hidden = true;
    cancel.addEventListener('click', () => this.cancel());
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'jp-LittleWings-button jp-LittleWings-hsClose';
    close.title = 'Close the history search';
    close.setAttribute('aria-label', 'Close the history search');
    close.appendChild(iconNode('close'));
    close.addEventListener('click', () => this.close());
    this._timeError = document.createElement('span');
    this._timeError.className = 'jp-LittleWings-hsError';
    form.append(
      query,
      regex,
      caseSensitive,
      this._since,
      this._until,
      this._stream,
      this._level,
      start,
      cancel,
      close,
      this._timeError
    );
  }

  /** The request the form says, or null (nothing to find, a time that is not one). */
  private _request(): ISearchRequest | null {
    this._timeError.textContent = '';
    const query = this._query.value;
    if (!query) {
      this._query.focus();
      return null;
    }
    const request: ISearchRequest = {
      query,
      regex: this._regexInput().checked,
      case_sensitive: this._caseInput().checked,
      context: MATCH_CONTEXT,
      limit: LIMIT
    };
    for (const [input, key] of [
      [this._since, 'since'],
      [this._until, 'until']
    ] as const) {
      const text = input.value.trim();
      if (!text) {
        continue;
      }
      const time = Private.parseTime(text);
      if (time === null) {
        this._timeError.textContent = `“${text}” is not a time (try 15m, 2h, 2026-12-03 06:00).`;
        input.focus();
        return null;
      }
      request[key] = time;
    }
    const stream = this._stream.value;
    if (stream === 'stdout' || stream === 'stderr') {
      request.stream = stream;
    }
    const level = this._level.value;
    if (level) {
      request.level = LEVELS.slice(LEVELS.indexOf(level as Level));
    }
    return request;
  }

  private _regexInput(): HTMLInputElement {
    return this._regex.querySelector('input')!;
  }

  private _caseInput(): HTMLInputElement {
    return this._case.querySelector('input')!;
  }

  private _setRunning(running: boolean): void {
    this._cancelButton.hidden = !running;
    this._startButton.textContent = running ? 'Restart' : 'Search';
    this.node.classList.toggle('jp-mod-running', running);
  }

  // ---- results ----------------------------------------------------------------------------

  private _addResults(matches: ISearchMatch[]): void {
    const fragment = document.createDocumentFragment();
    for (const match of matches) {
      this._count++;
      fragment.appendChild(this._resultNode(match));
    }
    this._resultsNode.appendChild(fragment);
  }

  private _resultNode(match: ISearchMatch): HTMLElement {
    const item = document.createElement('div');
    item.className = 'jp-LittleWings-hsResult';
    item.setAttribute('role', 'listitem');
    item.tabIndex = 0;
    item.dataset.cursor = match.cursor;
    item.dataset.stream = match.stream;
    if (match.container) {
      item.dataset.container = match.container;
    }
    item.title = 'Show the lines around this one';
    const head = document.createElement('div');
    head.className = 'jp-LittleWings-hsHead';
    const time = document.createElement('span');
    time.className = 'jp-LittleWings-hsTime';
    time.textContent = Private.cursorTime(match.cursor);
    head.appendChild(time);
    if (match.container) {
      const name = document.createElement('span');
      name.className = 'jp-LittleWings-hsContainer';
      name.textContent = match.container;
      const color = this._colorOf?.(match.container);
      if (color) {
        name.style.color = color;
      }
      head.appendChild(name);
    }
    if (match.level) {
      head.appendChild(Private.levelChip(match.level));
    }
    if (match.stream === 'stderr') {
      const stream = document.createElement('span');
      stream.className = 'jp-LittleWings-hsStreamTag';
      stream.textContent = 'stderr';
      head.appendChild(stream);
    }
    item.appendChild(head);
    for (const line of match.before ?? []) {
      item.appendChild(Private.lineNode(line, 'jp-LittleWings-hsContext'));
    }
    const hit = Private.lineNode('', 'jp-LittleWings-hsLine');
    this._highlight(hit, match.line);
    item.appendChild(hit);
    for (const line of match.after ?? []) {
      item.appendChild(Private.lineNode(line, 'jp-LittleWings-hsContext'));
    }
    return item;
  }

  private _showProgress(progress: ISearchProgress, state: string): void {
    this._progressNode.dataset.state = state;
    const n = (v: number) => v.toLocaleString('en-US');
    const matches = `${n(progress.matches)} match${progress.matches === 1 ? '' : 'es'}`;
    const lines = `looked at ${n(progress.scanned)} line${progress.scanned === 1 ? '' : 's'}`;
    const span = progress.first
      ? `, from ${Private.shortTime(progress.first)} to ${Private.shortTime(progress.reached ?? progress.first)}`
      : '';
    const prefix =
      state === 'done'
        ? 'Done: '
        : state === 'limit'
          ? `Stopped at ${n(LIMIT)} matches: `
          : state === 'cancelled'
            ? 'Cancelled: '
            : state === 'time_limit'
              ? "Stopped at the server's time limit (narrow the time range to go on): "
              : '';
    this._progressNode.textContent = `${prefix}${matches}, ${lines}${span}`;
  }

  private _onEnd(search: HistorySearch, end: SearchEnd): void {
    if (search !== this._search) {
      return;
    }
    this._setRunning(false);
    if (end.type === 'error') {
      this._progressNode.dataset.state = 'error';
      this._progressNode.textContent = end.message;
      return;
    }
    this._showProgress(end, end.reason);
    if (!end.matches) {
      this._progressNode.textContent += ' — nothing found';
    }
  }

  // ---- the jump view ----------------------------------------------------------------------

  private _buildJump(): void {
    const bar = document.createElement('div');
    bar.className = 'jp-LittleWings-jumpBar';
    this._jumpTitle = document.createElement('span');
    this._jumpTitle.className = 'jp-LittleWings-jumpTitle';
    const earlier = document.createElement('button');
    earlier.type = 'button';
    earlier.className = 'jp-LittleWings-button jp-LittleWings-jumpEarlier';
    earlier.textContent = 'Earlier';
    earlier.title = `Load ${MORE_LINES} earlier lines`;
    earlier.addEventListener('click', () => void this._more('before'));
    const later = document.createElement('button');
    later.type = 'button';
    later.className = 'jp-LittleWings-button jp-LittleWings-jumpLater';
    later.textContent = 'Later';
    later.title = `Load ${MORE_LINES} later lines`;
    later.addEventListener('click', () => void this._more('after'));
    const live = document.createElement('button');
    live.type = 'button';
    live.className = 'jp-LittleWings-button jp-LittleWings-backToLive';
    live.append(iconNode('follow'), document.createTextNode('Back to live'));
    live.title = 'Leave these lines and show the live log again';
    live.addEventListener('click', () => this.backToLive());
    bar.append(this._jumpTitle, earlier, later, live);
    this._jumpBody = document.createElement('div');
    this._jumpBody.className = 'jp-LittleWings-jumpLines';
    this._jumpBody.tabIndex = 0;
    this.jumpNode.append(bar, this._jumpBody);
    this.jumpNode.addEventListener('keydown', event => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        this.backToLive();
      }
    });
  }

  private async _jumpTo(item: HTMLElement): Promise<void> {
    const cursor = item.dataset.cursor;
    if (!cursor) {
      return;
    }
    for (const other of this._resultsNode.querySelectorAll('.jp-mod-current')) {
      other.classList.remove('jp-mod-current');
    }
    item.classList.add('jp-mod-current');
    this._jumpContainer = item.dataset.container ?? '';
    this.jumpNode.hidden = false;
    this._jumpTitle.textContent = 'Loading the lines around the match…';
    this._jumpBody.replaceChildren();
    try {
      const answer = await this._connection.context({
        cursor,
        before: JUMP_CONTEXT,
        after: JUMP_CONTEXT,
        container: this._jumpContainer || undefined
      });
      this._jumpLines = answer.lines;
      this._jumpCursor = cursor;
      const where = this._jumpContainer ? ` of ${this._jumpContainer}` : '';
      this._jumpTitle.textContent =
        answer.index < 0
          ? `The line${where} of ${Private.cursorTime(cursor)} is no longer in the logs`
          : `Lines around ${Private.cursorTime(cursor)}${where}`;
      this._renderJump();
      const match = this._jumpBody.querySelector<HTMLElement>('.jp-mod-match');
      match?.scrollIntoView({ block: 'center' });
    } catch (error) {
      this._jumpTitle.textContent = `Cannot load the lines: ${(error as { message?: string }).message ?? String(error)}`;
    }
  }

  /** Load more lines before the first or after the last shown. */
  private async _more(side: 'before' | 'after'): Promise<void> {
    const lines = this._jumpLines;
    const edge = side === 'before' ? lines[0] : lines[lines.length - 1];
    if (!edge) {
      return;
    }
    try {
      const answer = await this._connection.context({
        cursor: edge.cursor,
        before: side === 'before' ? MORE_LINES : 0,
        after: side === 'after' ? MORE_LINES : 0,
        container: this._jumpContainer || undefined
      });
      if (answer.index < 0) {
        return;
      }
      const top = this._jumpBody.scrollHeight - this._jumpBody.scrollTop;
      if (side === 'before') {
        this._jumpLines = [...answer.lines.slice(0, answer.index), ...lines];
      } else {
        this._jumpLines = [...lines, ...answer.lines.slice(answer.index + 1)];
      }
      this._renderJump();
      if (side === 'before') {
        // The lines shown stay where they were.
        this._jumpBody.scrollTop = this._jumpBody.scrollHeight - top;
      }
    } catch {
      // The socket went: the jump view keeps what it has.
    }
  }

  private _renderJump(): void {
    const fragment = document.createDocumentFragment();
    for (const line of this._jumpLines) {
      const node = Private.lineNode(line.line, 'jp-LittleWings-jumpLine');
      node.dataset.stream = line.stream;
      node.dataset.cursor = line.cursor;
      const level = parseLine(line.line).level;
      if (level) {
        node.dataset.level = level;
      }
      if (line.cursor === this._jumpCursor) {
        node.classList.add('jp-mod-match');
        node.replaceChildren();
        this._highlight(node, line.line);
      }
      fragment.appendChild(node);
    }
    this._jumpBody.replaceChildren(fragment);
  }

  private _connection: ConsoleConnection;
  private _colorOf: ((name: string) => string | undefined) | null;
  private _search: HistorySearch | null = null;
  private _count = 0;
  private _highlight: (node: HTMLElement, text: string) => void = (n, t) => {
    n.textContent = t;
  };
  private _form!: HTMLFormElement;
  private _query!: HTMLInputElement;
  private _regex!: HTMLLabelElement;
  private _case!: HTMLLabelElement;
  private _since!: HTMLInputElement;
  private _until!: HTMLInputElement;
  private _stream!: HTMLSelectElement;
  private _level!: HTMLSelectElement;
  private _startButton!: HTMLButtonElement;
  private _cancelButton!: HTMLButtonElement;
  private _timeError!: HTMLSpanElement;
  private _progressNode: HTMLDivElement;
  private _resultsNode: HTMLDivElement;
  private _jumpTitle!: HTMLSpanElement;
  private _jumpBody!: HTMLDivElement;
  private _jumpLines: IContextLine[] = [];
  private _jumpCursor = '';
  private _jumpContainer = '';
}

export namespace HistorySearchPanel {
  export interface IOptions {
    connection: ConsoleConnection;
    /** A merged view's colour of a member's name (none: the name in the text's colour). */
    colorOf?: (name: string) => string | undefined;
  }
}

namespace Private {
  export function input(
    className: string,
    placeholder: string,
    label: string
  ): HTMLInputElement {
    const input = document.createElement('input');
    input.className = className;
    input.placeholder = placeholder;
    input.title = label;
    input.setAttribute('aria-label', label);
    input.spellcheck = false;
    input.autocomplete = 'off';
    return input;
  }

  export function checkbox(
    className: string,
    text: string,
    title: string
  ): HTMLLabelElement {
    const label = document.createElement('label');
    label.className = `jp-LittleWings-hsToggle ${className}`;
    label.title = title;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.setAttribute('aria-label', title);
    const span = document.createElement('span');
    span.textContent = text;
    label.append(box, span);
    return label;
  }

  export function select(
    className: string,
    label: string,
    options: [string, string][]
  ): HTMLSelectElement {
    const select = document.createElement('select');
    select.className = className;
    select.title = label;
    select.setAttribute('aria-label', label);
    for (const [value, text] of options) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = text;
      select.appendChild(option);
    }
    return select;
  }

  export function lineNode(text: string, className: string): HTMLElement {
    const node = document.createElement('div');
    node.className = className;
    node.textContent = text;
    return node;
  }

  export function levelChip(level: string): HTMLElement {
    const chip = document.createElement('span');
    chip.className = 'jp-LittleWings-levelChip';
    chip.dataset.level = level;
    chip.textContent = level.toUpperCase();
    return chip;
  }

  /** Docker's time of a line, from its cursor (`<RFC 3339 nano>/<n>`). */
  export function cursorTime(cursor: string): string {
    return shortTime(cursor.split('/')[0]);
  }

  /** An RFC 3339 time to the millisecond, as `2026-12-03 06:12:01.234Z`. */
  export function shortTime(value: string): string {
    const m =
      /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d{1,3})?\d*(Z|[+-]\d\d:\d\d)?$/.exec(
        value
      );
    return m ? `${m[1]} ${m[2]}${m[3] ?? ''}${m[4] ?? ''}` : value;
  }

  /**
   * A time the server takes (RFC 3339 in UTC) from what a user types: how long ago (`30s`,
   * `15m`, `2h`, `1d`), Unix seconds, or a date and time (local unless it says its zone).
   */
  export function parseTime(text: string, now = Date.now()): string | null {
    const ago = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/i.exec(text);
    if (ago) {
      const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[
        ago[2].toLowerCase() as 's' | 'm' | 'h' | 'd'
      ];
      return new Date(now - Number(ago[1]) * unit).toISOString();
    }
    if (/^\d{9,11}(\.\d+)?$/.test(text)) {
      return new Date(Number(text) * 1000).toISOString();
    }
    const t = Date.parse(text.replace(/^(\d{4}-\d\d-\d\d) /, '$1T'));
    return Number.isNaN(t) ? null : new Date(t).toISOString();
  }

  /**
   * Marks the query's matches in a line. A Python regular expression the browser reads the
   * same way is marked; one it does not read leaves the line unmarked (the server matched it).
   */
  export function highlighter(
    request: ISearchRequest
  ): (node: HTMLElement, text: string) => void {
    let pattern: RegExp | null = null;
    try {
      const source = request.regex
        ? request.query
        : request.query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      pattern = new RegExp(source, request.case_sensitive ? 'gm' : 'gim');
    } catch {
      pattern = null;
    }
    return (node, text) => {
      node.replaceChildren();
      if (!pattern) {
        node.textContent = text;
        return;
      }
      let at = 0;
      pattern.lastIndex = 0;
      let m = pattern.exec(text);
      while (m) {
        if (m[0] === '') {
          pattern.lastIndex++;
        } else {
          node.append(text.slice(at, m.index));
          const mark = document.createElement('mark');
          mark.className = 'jp-LittleWings-hsMark';
          mark.textContent = m[0];
          node.appendChild(mark);
          at = m.index + m[0].length;
        }
        m = pattern.exec(text);
      }
      node.append(text.slice(at));
    };
  }
}

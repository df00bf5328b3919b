/**
 * What both consoles share, the single container's (widget.ts) and the merged one (merged.ts):
 * the connection and how its state shows (the header's badge, the overlay, the notices of a lost
 * and regained connection or of missing lines), the header's frame, the toolbar, the log area
 * with Follow and the history search, the log view and its buffer of lines, the settings, the
 * search box, the timestamps toggle, folds, the theme's changes and the widget's life (attach,
 * fit, close, dispose). Each console adds what it alone shows and how its lines are written.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ConsoleConnection } from './connection';
import { lossText } from './format';
import {
  consoleHeader,
  IConsoleHeaderOptions,
  renderConnection
} from './header';
import { HistorySearchPanel } from './historysearch';
import { iconNode } from './icons';
import { ILogLine, LineFormatter, LogBuffer } from './loglines';
import { LogView } from './logview';
import { IConnectionStatus } from './socket';
import { Level } from './structured';
import { IToolbarDownload, logToolbar } from './toolbar';

/** What the user can tune in the settings editor. */
export interface IConsoleSettings {
  /** Lines xterm keeps above the screen. */
  scrollback: number;
  /** History lines fetched on open. */
  tail: number | 'all';
  /** Show Docker timestamps when a console opens. */
  timestamps: boolean;
  /** Show CPU and memory sparklines. */
  stats: boolean;
  /** Font size of the log view in px; null follows the code font size. */
  fontSize: number | null;
}

export const DEFAULT_CONSOLE_SETTINGS: IConsoleSettings = {
  scrollback: 10000,
  tail: 500,
  timestamps: false,
  stats: true,
  fontSize: null
};

/** The base of both consoles: a log view of a connection's lines. */
export abstract class ConsoleBase extends Widget {
  constructor(
    connection: ConsoleConnection,
    settings: Partial<IConsoleSettings> | undefined
  ) {
    super();
    this.addClass('jp-LittleWings-console');
    this.title.closable = true;
    this.connection = connection;
    this._settings = { ...DEFAULT_CONSOLE_SETTINGS, ...settings };
    this._logView = new LogView({ scrollback: this._settings.scrollback });
    this._buffer = new LogBuffer(this._settings.scrollback);
    this._historySearch = new HistorySearchPanel({
      connection,
      colorOf: name => this._memberColor(name)
    });
    // Settings loaded before this console opened apply from the start, not on the next change.
    this._logView.fontSize = this._settings.fontSize;
    this._logView.foldRequested.connect((_, { uri, row }) => {
      if (this._formatter.toggle(uri)) {
        this._redraw({ uri, row });
      }
    });
    this._logView.searchChanged.connect((_, state) => {
      this._searchCount.textContent =
        state.count > 0
          ? `${state.index + 1} of ${state.count}`
          : this._searchInput.value
            ? 'No results'
            : '';
    });
    // Follow JupyterLab's theme switches without depending on its theme manager: the new
    // theme's CSS may land a moment after the attribute changes, so read the colours twice.
    this._themeObserver = new MutationObserver(() => {
      this.updateTheme();
      window.setTimeout(() => this.updateTheme(), 400);
    });
    this._themeObserver.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
  }

  readonly connection: ConsoleConnection;

  /** The log view (exposed for tests and hosts). */
  get logView(): LogView {
    return this._logView;
  }

  /** Whether Docker's timestamp shows before each line. */
  get timestamps(): boolean {
    return this._timestamps;
  }

  /** Show Docker's timestamp before each line, or not. */
  setTimestamps(on: boolean): void {
    if (on === this._timestamps) {
      return;
    }
    this._timestamps = on;
    this._timestampsButton.setAttribute('aria-pressed', String(on));
    this._timestampsButton.classList.toggle('jp-mod-active', on);
    this._timestampsChanged(on);
  }

  /** Change settings at run time (from the settings editor). */
  updateSettings(settings: Partial<IConsoleSettings>): void {
    this._settings = { ...this._settings, ...settings };
    if (settings.scrollback !== undefined) {
      this._logView.scrollback = settings.scrollback;
      this._buffer.limit = settings.scrollback;
      this._buffer.trim();
    }
    if (settings.fontSize !== undefined) {
      this._logView.fontSize = settings.fontSize;
    }
    if (
      settings.tail !== undefined &&
      settings.tail !== this.connection.watchOptions.tail
    ) {
      this.connection.setWatchOptions({ tail: settings.tail });
    }
  }

  /** Re-read colours and fonts from the page (after a theme change). */
  abstract updateTheme(): void;

  /** Put the keyboard in the search box. */
  focusSearch(): void {
    this._searchInput.focus();
    this._searchInput.select();
  }

  /** Raw lines or formatted records, and the least level shown; the view is drawn again. */
  setLineOptions(options: { raw?: boolean; minLevel?: Level | null }): void {
    this._formatter.options = { ...this._formatter.options, ...options };
    this._redraw();
  }

  /** Clear the view and its buffer (the containers' logs are untouched). */
  clear(): void {
    this._buffer.clear();
    this._logView.clear();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._historySearch.dispose();
    this._resizeObserver?.disconnect();
    this._themeObserver.disconnect();
    this._logView.dispose();
    this.connection.dispose();
    super.dispose();
  }

  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._logView.open();
    this._attached();
    if (!this._resizeObserver && typeof ResizeObserver !== 'undefined') {
      this._resizeObserver = new ResizeObserver(() => this._fit());
      for (const node of this._sizedNodes()) {
        this._resizeObserver.observe(node);
      }
    }
    this._fit();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._fit();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._fit();
  }

  /** In the page now: read what comes from it (colours), before the first fit. */
  protected abstract _attached(): void;

  /** The nodes whose size changes fit the terminal shown again. */
  protected _sizedNodes(): HTMLElement[] {
    return [this._logView.node];
  }

  /** Fit the terminal shown to its box. */
  protected _fit(): void {
    this._logView.fit();
  }

  /** The colour a container's name is drawn in, where the console has one (a merged view). */
  protected _memberColor(name: string): string | undefined {
    return undefined;
  }

  /** A tab's label: the name, and the engine when it is not the default one. */
  protected _withEngine(label: string): string {
    const engine = this.connection.engine;
    return engine ? `${label} @ ${engine}` : label;
  }

  /** The timestamps were turned on or off (the button shows it already). */
  protected abstract _timestampsChanged(on: boolean): void;

  /** Draw the view again from the buffer (keeping a fold's row in place). */
  protected abstract _redraw(fold?: { uri: string; row: number }): void;

  /** Write lines of the buffer to the terminal (formatted, as the filters let them through). */
  protected abstract _write(lines: readonly ILogLine[]): void;

  /** The terminal's text of these lines ('' when the filters hide them all). */
  protected _format(lines: readonly ILogLine[]): string {
    let out = '';
    for (const line of lines) {
      const text = this._formatter.render(line);
      if (text !== null) {
        out += text;
      }
    }
    return out;
  }

  /** Text of the console's own (notices, command echoes and output): kept, never filtered. */
  protected _writeOwn(text: string): void {
    const line: ILogLine = { container: null, stream: 'stdout', text };
    this._buffer.push([line]);
    this._write([line]);
  }

  /** A dimmed notice of the console's own: connection lost, lines dropped. */
  protected _notice(text: string): void {
    this._writeOwn(`\x1b[2m${text}\x1b[0m\r\n`);
  }

  /** The next or previous match of the search box's text. */
  protected _find(direction: 'next' | 'previous'): void {
    const term = this._searchInput.value;
    if (!term) {
      return;
    }
    if (direction === 'next') {
      this._logView.findNext(term);
    } else {
      this._logView.findPrevious(term);
    }
  }

  // ---- building the DOM -------------------------------------------------------------------

  /** The header (see header.ts for what each console puts in it). */
  protected _addHeader(
    options: Omit<IConsoleHeaderOptions, 'engine' | 'retry'>
  ): void {
    const header = consoleHeader({
      ...options,
      engine: this.connection.engine,
      retry: () => this.connection.socket.retryNow()
    });
    this._nameNode = header.nameNode;
    this._metaNode = header.metaNode;
    this._connectionNode = header.connectionNode;
    this.node.appendChild(header.node);
  }

  /** The toolbar into `parent`, and the history search's panel under it. */
  protected _addToolbar(
    parent: HTMLElement,
    options: { escaped?: () => void; downloads: IToolbarDownload[] }
  ): void {
    const toolbar = logToolbar({
      find: direction => this._find(direction),
      view: this._logView,
      escaped: options.escaped,
      toggleHistory: term => this._historySearch.toggle(term),
      timestamps: this._timestamps,
      setTimestamps: on => this.setTimestamps(on),
      clear: () => this.clear(),
      setLineOptions: lineOptions => this.setLineOptions(lineOptions),
      downloads: options.downloads
    });
    this._searchInput = toolbar.searchInput;
    this._searchCount = toolbar.searchCount;
    this._timestampsButton = toolbar.timestampsButton;
    parent.append(toolbar.node, this._historySearch.node);
  }

  /**
   * The log area into `parent`: the log view, Follow (shown while the view does not follow the
   * newest line), the history search's jump view and the overlay of a fatal error.
   */
  protected _addLogArea(parent: HTMLElement): void {
    const area = document.createElement('div');
    area.className = 'jp-LittleWings-logArea';
    area.appendChild(this._logView.node);

    const jump = document.createElement('button');
    jump.type = 'button';
    jump.className = 'jp-LittleWings-jump';
    jump.hidden = true;
    jump.append(iconNode('follow'), document.createTextNode('Follow'));
    jump.title = 'Scroll to the newest line and follow the output';
    jump.addEventListener('click', () => this._logView.scrollToBottom());
    this._logView.followingChanged.connect((_, following) => {
      jump.hidden = following;
    });

    this._overlay = document.createElement('div');
    this._overlay.className = 'jp-LittleWings-overlay';
    this._overlay.hidden = true;

    area.append(jump, this._historySearch.jumpNode, this._overlay);
    parent.appendChild(area);
  }

  // ---- reacting to the connection --------------------------------------------------------

  /**
   * Follow the connection's state (a console calls it once its DOM is built): its phase in the
   * header's badge, a notice when it is lost and when it is back, the lines found missing, and
   * a view cleared when the history is loaded again.
   */
  protected _watchConnection(): void {
    const c = this.connection;
    c.historyEnded.connect(this._onHistoryEnd, this);
    c.connected.connect(this._onConnected, this);
    // Lines missing here (read too slowly, the throttle, the engine's stream) are said where
    // they are missing.
    c.lossReported.connect((_, notice) => this._notice(lossText(notice)), this);
    c.reset.connect(() => this.clear(), this);
    c.connectionStatusChanged.connect(this._onConnectionStatus, this);
    this._onConnectionStatus(c, c.connectionStatus);
  }

  /** Who writes the lines, for the badge's tooltip: "the container writes". */
  protected abstract readonly _writer: string;

  protected _onConnected(): void {
    this._overlay.hidden = true;
    if (this._wasConnected && this._lost) {
      this._pendingNotice = '── reconnected ──';
    }
    this._wasConnected = true;
    this._lost = false;
  }

  protected _onConnectionStatus(
    sender: ConsoleConnection,
    status: IConnectionStatus
  ): void {
    if (status.phase === 'waiting' && this._wasConnected && !this._lost) {
      this._lost = true;
      this._notice(
        `── connection lost (${status.reason ?? 'closed'}), reconnecting… ──`
      );
    }
    renderConnection(this._connectionNode, status, this._writer);
  }

  /** Show an error over the log area (nothing to watch: not found, forbidden). */
  protected _showOverlay(text: string): void {
    this._overlay.textContent = text;
    this._overlay.hidden = false;
  }

  /** "Reconnected" goes after the history loaded again, not before it. */
  private _onHistoryEnd(): void {
    if (this._pendingNotice) {
      this._notice(this._pendingNotice);
      this._pendingNotice = '';
    }
  }

  protected abstract _formatter: LineFormatter;
  protected _settings: IConsoleSettings;
  protected _logView: LogView;
  protected _buffer: LogBuffer;
  protected _historySearch: HistorySearchPanel;
  protected _timestamps = false;
  private _wasConnected = false;
  private _lost = false;
  private _pendingNotice = '';
  private _resizeObserver: ResizeObserver | null = null;
  private _themeObserver: MutationObserver;
  protected _searchInput!: HTMLInputElement;
  private _searchCount!: HTMLSpanElement;
  private _timestampsButton!: HTMLButtonElement;
  protected _nameNode!: HTMLSpanElement;
  protected _metaNode!: HTMLSpanElement;
  private _connectionNode!: HTMLButtonElement;
  private _overlay!: HTMLDivElement;
}

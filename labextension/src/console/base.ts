/**
 * What both consoles share, the single container's (widget.ts) and the merged one (merged.ts):
 * the connection, the log view and its buffer of lines, the settings, the search box, the
 * timestamps toggle, folds, the theme's changes and the widget's life (fit, close, dispose).
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ConsoleConnection } from './connection';
import { ILogLine, LineFormatter, LogBuffer } from './loglines';
import { LogView } from './logview';
import { Level } from './structured';

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
    this.connection = connection;
    this._settings = { ...DEFAULT_CONSOLE_SETTINGS, ...settings };
    this._logView = new LogView({ scrollback: this._settings.scrollback });
    this._buffer = new LogBuffer(this._settings.scrollback);
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

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
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

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._fit();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._fit();
  }

  /** Fit the terminal shown to its box. */
  protected _fit(): void {
    this._logView.fit();
  }

  /** The timestamps were turned on or off (the button shows it already). */
  protected abstract _timestampsChanged(on: boolean): void;

  /** Draw the view again from the buffer (keeping a fold's row in place). */
  protected abstract _redraw(fold?: { uri: string; row: number }): void;

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

  protected abstract _formatter: LineFormatter;
  protected _settings: IConsoleSettings;
  protected _logView: LogView;
  protected _buffer: LogBuffer;
  protected _timestamps = false;
  protected _wasConnected = false;
  protected _lost = false;
  protected _resizeObserver: ResizeObserver | null = null;
  protected _themeObserver: MutationObserver;
  protected _searchInput!: HTMLInputElement;
  protected _searchCount!: HTMLSpanElement;
  protected _timestampsButton!: HTMLButtonElement;
}

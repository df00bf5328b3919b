import { FitAddon } from '@xterm/addon-fit';
import { ISearchResultChangeEvent, SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import { ISignal, Signal } from '@lumino/signaling';

import { FOLD_SCHEME, recordAt } from './loglines';
import { codeFont, searchColors, xtermTheme } from './theme';

// ANSI sequences the view uses to mark what is not the container's own stdout.
const RESET = '\x1b[0m';
const STDERR = '\x1b[31m';
const DIM = '\x1b[2m';
const DIM_OFF = '\x1b[22m';
const TIMESTAMP =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /gm;

/** Search result counts for the search bar. */
export interface ISearchState {
  index: number;
  count: number;
}

/**
 * A read-only xterm.js view of a container's output.
 *
 * xterm keeps the view at the bottom while it is there and leaves it where it is once the user
 * scrolls up; `following` tells which, so the widget can offer a "jump to latest" button.
 */
export class LogView {
  constructor(options: LogView.IOptions) {
    this.node = document.createElement('div');
    this.node.className = 'jp-LittleWings-logView';
    this._terminal = new Terminal({
      allowProposedApi: true,
      convertEol: true,
      disableStdin: true,
      cursorStyle: 'bar',
      cursorInactiveStyle: 'none',
      cursorBlink: false,
      scrollback: options.scrollback,
      minimumContrastRatio: 3,
      smoothScrollDuration: 0,
      // The fold marks of records are OSC 8 links with the view's own scheme; a program's
      // http(s) links open in a new tab, others are ignored.
      linkHandler: {
        allowNonHttpProtocols: true,
        activate: (event, uri, range) => {
          if (uri.startsWith(FOLD_SCHEME)) {
            const row =
              range.start.y - 1 - this._terminal.buffer.active.viewportY;
            this._foldRequested.emit({ uri, row });
          } else if (/^https?:\/\//i.test(uri)) {
            window.open(uri, '_blank', 'noopener');
          }
        }
      }
      // No overview ruler until the first search (see _showRuler): redrawn on every scroll,
      // it costs frames while a flood scrolls the view, and only search matches use it.
    });
    this._fit = new FitAddon();
    this._search = new SearchAddon({ highlightLimit: 2000 });
    this._terminal.loadAddon(this._fit);
    this._terminal.loadAddon(this._search);
    this._terminal.loadAddon(new WebLinksAddon());
    this._search.onDidChangeResults((e: ISearchResultChangeEvent) => {
      this._searchChanged.emit({ index: e.resultIndex, count: e.resultCount });
    });
    this._terminal.onScroll(() => this._checkFollowing());
    this._terminal.onWriteParsed(() => this._checkFollowing());
  }

  /** The element the view lives in; attach it to the page before `open()`. */
  readonly node: HTMLDivElement;

  /** True while the view sticks to the newest line. */
  get following(): boolean {
    return this._following;
  }

  get followingChanged(): ISignal<this, boolean> {
    return this._followingChanged;
  }

  get searchChanged(): ISignal<this, ISearchState> {
    return this._searchChanged;
  }

  /** A record's fold mark was clicked: its link and the row of the view it is on. */
  get foldRequested(): ISignal<this, { uri: string; row: number }> {
    return this._foldRequested;
  }

  /**
   * Draw the view again: clear it, write `lines` with `write` (a record folded, `fold`, keeps
   * its row), then find the search term again in what was drawn (`term()`: the search box's
   * value once the terminal has taken the text in).
   */
  redraw<T extends { record?: number }>(
    lines: readonly T[],
    write: (lines: readonly T[]) => void,
    term: () => string,
    fold?: { uri: string; row: number }
  ): void {
    this.clear();
    const at = fold ? recordAt(lines, fold.uri) : -1;
    if (fold && at >= 0) {
      write(lines.slice(0, at));
      this.anchorNextLine(fold.row);
      write(lines.slice(at));
    } else {
      write(lines);
    }
    const wanted = term();
    this._terminal.write('', () => {
      if (wanted && wanted === term()) {
        this.findNext(wanted, true);
      } else {
        this.clearSearch();
      }
    });
  }

  /**
   * Keep the next line written on row `row` of the view: once what is written until then is
   * drawn, the view scrolls so that line is where it was (a record folded keeps its place).
   */
  anchorNextLine(row: number): void {
    this._terminal.write('', () => {
      const marker = this._terminal.registerMarker(0);
      this._terminal.write('', () => {
        if (marker && !marker.isDisposed) {
          this._terminal.scrollToLine(Math.max(0, marker.line - row));
          marker.dispose();
        }
        this._checkFollowing();
      });
    });
  }

  get terminal(): Terminal {
    return this._terminal;
  }

  /** Create the terminal's DOM: the node must be in the document. */
  open(): void {
    if (this._opened) {
      return;
    }
    this._opened = true;
    this._terminal.open(this.node);
    this.updateTheme();
    this.fit();
  }

  /** Re-read fonts and colours from the page (after a theme change). */
  updateTheme(): void {
    const font = codeFont(this.node);
    this._terminal.options.fontFamily = font.family;
    this._terminal.options.fontSize = this._fontSize ?? font.size;
    this._terminal.options.lineHeight = 1.2;
    this._terminal.options.theme = xtermTheme(this.node);
    this._colors = searchColors(this.node);
    if (this._term) {
      // Matches keep the colours they were drawn with: draw them again in the new ones.
      this._search.clearDecorations();
      this._search.findNext(this._term, this._searchOptions(true));
    }
    this.fit();
  }

  /** Resize the terminal to its node. */
  fit(): void {
    if (
      !this._opened ||
      !this.node.isConnected ||
      this.node.clientWidth === 0
    ) {
      return;
    }
    try {
      this._fit.fit();
    } catch {
      // The renderer is not ready yet; the next resize fits.
    }
  }

  set scrollback(value: number) {
    this._terminal.options.scrollback = value;
  }

  set fontSize(value: number | null) {
    this._fontSize = value;
    this.updateTheme();
  }

  /** Write container output; stderr lines are coloured, timestamps dimmed. */
  writeLog(data: string, stream: 'stdout' | 'stderr'): void {
    let text = data.replace(TIMESTAMP, `${DIM}$1${DIM_OFF} `);
    if (stream === 'stderr') {
      text = text.replace(/^(.+)$/gm, `${STDERR}$1${RESET}`);
    }
    this._terminal.write(text);
  }

  /** Write text the console adds itself (command echoes, notices). */
  writeRaw(text: string): void {
    this._terminal.write(text);
  }

  /** A dimmed notice line, e.g. "reconnected". */
  writeNotice(text: string): void {
    this._terminal.write(`${DIM}${text}${RESET}\r\n`);
  }

  clear(): void {
    this._terminal.reset();
    this._search.clearDecorations();
    this._checkFollowing();
  }

  scrollToBottom(): void {
    this._terminal.scrollToBottom();
    this._checkFollowing();
  }

  findNext(term: string, incremental = false): boolean {
    this._showRuler();
    this._term = term;
    return this._search.findNext(term, this._searchOptions(incremental));
  }

  findPrevious(term: string): boolean {
    this._showRuler();
    this._term = term;
    return this._search.findPrevious(term, this._searchOptions(false));
  }

  clearSearch(): void {
    this._term = '';
    this._search.clearDecorations();
    this._terminal.clearSelection();
    this._searchChanged.emit({ index: -1, count: 0 });
  }

  focus(): void {
    this._terminal.focus();
  }

  dispose(): void {
    this._terminal.dispose();
    Signal.clearData(this);
  }

  private _searchOptions(incremental: boolean) {
    return {
      incremental,
      caseSensitive: false,
      decorations: {
        matchBackground: this._colors.match,
        matchOverviewRuler: this._colors.ruler,
        activeMatchBackground: this._colors.active,
        activeMatchColorOverviewRuler: this._colors.active
      }
    };
  }

  /** The overview ruler (where the matches are) from the first search on. */
  private _showRuler(): void {
    if (!this._terminal.options.overviewRuler?.width) {
      this._terminal.options.overviewRuler = { width: 10 };
    }
  }

  private _checkFollowing(): void {
    const buffer = this._terminal.buffer.active;
    const following = buffer.viewportY >= buffer.baseY;
    if (following !== this._following) {
      this._following = following;
      this._followingChanged.emit(following);
    }
  }

  private _foldRequested = new Signal<this, { uri: string; row: number }>(this);
  private _terminal: Terminal;
  private _fit: FitAddon;
  private _search: SearchAddon;
  private _opened = false;
  private _following = true;
  private _fontSize: number | null = null;
  private _term = '';
  private _colors = { match: '#ffe79f', active: '#f4b400', ruler: '#f57c00' };
  private _followingChanged = new Signal<this, boolean>(this);
  private _searchChanged = new Signal<this, ISearchState>(this);
}

export namespace LogView {
  export interface IOptions {
    scrollback: number;
  }
}

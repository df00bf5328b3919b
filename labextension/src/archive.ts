import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  ARCHIVE_TAIL,
  IArchivedContainer,
  fetchArchive,
  fetchArchivedLines,
  searchArchive
} from './api';
import { LittleWingsSocket, LogView, ServerMessage } from './console';

/** How often the "Removed containers" group asks the archive again (ms). */
const ARCHIVE_POLL = 30000;

/** The archive's `removed_at` as a time in ms, or null. */
export function removedTime(value: number | string | null): number | null {
  if (value === null || value === undefined || value === '') {
    return null;
  }
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** "3 minutes ago" (or the date, when long ago). */
function ago(then: number | null): string {
  if (then === null) {
    return '';
  }
  const seconds = Math.max(0, (Date.now() - then) / 1000);
  if (seconds < 60) {
    return 'just now';
  }
  if (seconds < 3600) {
    const n = Math.floor(seconds / 60);
    return `${n} minute${n === 1 ? '' : 's'} ago`;
  }
  if (seconds < 86400) {
    const n = Math.floor(seconds / 3600);
    return `${n} hour${n === 1 ? '' : 's'} ago`;
  }
  return new Date(then).toLocaleString();
}

/**
 * The sidebar's collapsible "Removed containers" group: the archive's removed containers,
 * shown only when the server archives and has some. Asked again when a container is removed
 * and every 30 s.
 */
export class RemovedContainers {
  constructor(options: RemovedContainers.IOptions) {
    this._onOpen = options.onOpen;
    this.node = document.createElement('section');
    this.node.className = 'jp-LittleWings-archiveGroup';
    this.node.hidden = true;
    this._header = document.createElement('button');
    this._header.type = 'button';
    this._header.className = 'jp-LittleWings-archiveHeader';
    this._header.setAttribute('aria-expanded', 'true');
    this._header.addEventListener('click', () => {
      this._expanded = !this._expanded;
      this._render();
    });
    this._listNode = document.createElement('ul');
    this._listNode.className = 'jp-LittleWings-archiveList';
    this._listNode.setAttribute('aria-label', 'Removed containers');
    this.node.append(this._header, this._listNode);

    this._socket = options.socket;
    this._socket.messageReceived.connect(this._onMessage, this);
    this._socket.opened.connect(this._refreshSoon, this);
    this._timer = window.setInterval(() => void this.refresh(), ARCHIVE_POLL);
    void this.refresh();
  }

  readonly node: HTMLElement;

  /** The removed containers, newest removal first. */
  get containers(): IArchivedContainer[] {
    return this._containers;
  }

  async refresh(): Promise<void> {
    const serial = ++this._serial;
    try {
      const answer = await fetchArchive();
      if (serial !== this._serial) {
        return;
      }
      this._containers = answer.archive
        ? answer.containers
            .filter(c => c.removed)
            .sort(
              (a, b) =>
                (removedTime(b.removed_at) ?? 0) -
                (removedTime(a.removed_at) ?? 0)
            )
        : [];
    } catch {
      // An older server without the archive, or the server is away: nothing to show.
      if (serial === this._serial) {
        this._containers = [];
      }
    }
    this._render();
  }

  dispose(): void {
    window.clearInterval(this._timer);
    window.clearTimeout(this._soon);
    window.clearTimeout(this._later);
    this._socket.messageReceived.disconnect(this._onMessage, this);
    this._socket.opened.disconnect(this._refreshSoon, this);
    this.node.remove();
  }

  private _onMessage(_: unknown, message: ServerMessage): void {
    if (
      message.type === 'container_event' &&
      (message.event === 'removed' || message.event === 'destroy')
    ) {
      this._refreshSoon();
    }
  }

  /**
   * The archive marks a container removed just after Docker's event: ask in a moment, and
   * once more a little later (a busy server marks it later; the 30 s poll is long to wait).
   */
  private _refreshSoon(): void {
    window.clearTimeout(this._soon);
    window.clearTimeout(this._later);
    this._soon = window.setTimeout(() => void this.refresh(), 700);
    this._later = window.setTimeout(() => void this.refresh(), 4000);
  }

  private _render(): void {
    const count = this._containers.length;
    this.node.hidden = count === 0;
    this.node.classList.toggle('jp-mod-collapsed', !this._expanded);
    this._header.setAttribute('aria-expanded', String(this._expanded));
    this._header.textContent = '';
    const caret = document.createElement('span');
    caret.className = 'jp-LittleWings-archiveCaret';
    caret.textContent = this._expanded ? '▾' : '▸';
    const title = document.createElement('span');
    title.className = 'jp-LittleWings-archiveTitle';
    title.textContent = 'Removed containers';
    const badge = document.createElement('span');
    badge.className = 'jp-LittleWings-archiveCount';
    badge.textContent = String(count);
    this._header.append(caret, title, badge);
    this._header.title =
      'Containers removed from Docker whose logs the archive keeps';

    this._listNode.hidden = !this._expanded;
    this._listNode.textContent = '';
    if (!this._expanded) {
      return;
    }
    for (const container of this._containers) {
      const item = document.createElement('li');
      const row = document.createElement('button');
      row.type = 'button';
      row.className = 'jp-LittleWings-archiveItem';
      row.dataset.id = container.id;
      row.dataset.name = container.name;
      row.title = `Open the archived logs of ${container.name} (${container.id.slice(0, 12)})`;
      const name = document.createElement('span');
      name.className = 'jp-LittleWings-archiveName';
      name.textContent = container.name || container.id.slice(0, 12);
      const image = document.createElement('span');
      image.className = 'jp-LittleWings-archiveImage';
      image.textContent = container.image;
      const meta = document.createElement('span');
      meta.className = 'jp-LittleWings-archiveMeta';
      const lines = container.lines.toLocaleString();
      const when = removedTime(container.removed_at);
      meta.textContent = `Removed ${ago(when)} · ${lines} line${container.lines === 1 ? '' : 's'}`;
      if (when !== null) {
        meta.title = `Removed ${new Date(when).toLocaleString()}`;
      }
      image.classList.add('jp-LittleWings-archiveSub');
      meta.classList.add('jp-LittleWings-archiveSub');
      image.title = container.image;
      row.append(name, image, meta);
      row.addEventListener('click', () => this._onOpen(container));
      item.appendChild(row);
      this._listNode.appendChild(item);
    }
  }

  private _onOpen: (container: IArchivedContainer) => void;
  private _socket: LittleWingsSocket;
  private _header: HTMLButtonElement;
  private _listNode: HTMLUListElement;
  private _containers: IArchivedContainer[] = [];
  private _expanded = true;
  private _serial = 0;
  private _timer: number;
  private _soon = 0;
  private _later = 0;
}

export namespace RemovedContainers {
  export interface IOptions {
    socket: LittleWingsSocket;
    /** Open a removed container's archived logs. */
    onOpen: (container: IArchivedContainer) => void;
  }
}

/**
 * A read-only main-area view of an archived container's logs: its last 5,000 lines, and a
 * search of everything the archive keeps of it (a match among the shown lines is scrolled to
 * and selected when clicked).
 */
export class ArchivedLogs extends Widget {
  constructor(container: IArchivedContainer) {
    super();
    this.container = container;
    this.id = `littlewings-archive-${container.id}`;
    this.addClass('jp-LittleWings-archivedLogs');
    this.title.label = `${container.name || container.id.slice(0, 12)} (archived)`;
    this.title.caption = `Archived logs of ${container.name} (${container.image})`;
    this.title.closable = true;

    const header = document.createElement('header');
    header.className = 'jp-LittleWings-archivedHeader';
    const name = document.createElement('strong');
    name.textContent = container.name || container.id.slice(0, 12);
    const meta = document.createElement('span');
    meta.className = 'jp-LittleWings-archivedMeta';
    const when = removedTime(container.removed_at);
    const removed =
      when !== null
        ? `removed ${new Date(when).toLocaleString()}`
        : 'not removed';
    meta.textContent = `${container.image} · ${removed} · ${container.lines.toLocaleString()} archived lines`;
    this._status = document.createElement('span');
    this._status.className = 'jp-LittleWings-archivedStatus';
    this._status.setAttribute('role', 'status');
    header.append(name, meta, this._status);

    const form = document.createElement('form');
    form.className = 'jp-LittleWings-archivedSearch';
    this._query = document.createElement('input');
    this._query.type = 'search';
    this._query.placeholder = 'Search the archived logs';
    this._query.setAttribute('aria-label', 'Search the archived logs');
    this._query.className = 'jp-LittleWings-archivedQuery';
    const regexLabel = document.createElement('label');
    this._regex = document.createElement('input');
    this._regex.type = 'checkbox';
    regexLabel.append(this._regex, document.createTextNode(' Regex'));
    const go = document.createElement('button');
    go.type = 'submit';
    go.className = 'jp-LittleWings-button jp-LittleWings-archivedGo';
    go.textContent = 'Search';
    form.append(this._query, regexLabel, go);
    form.addEventListener('submit', event => {
      event.preventDefault();
      void this.search(this._query.value);
    });

    this._matches = document.createElement('ol');
    this._matches.className = 'jp-LittleWings-archivedMatches';
    this._matches.hidden = true;

    const body = document.createElement('div');
    body.className = 'jp-LittleWings-archivedBody';
    this._view = new LogView({ scrollback: ARCHIVE_TAIL + 200 });
    body.appendChild(this._view.node);

    this.node.append(header, form, this._matches, body);
  }

  readonly container: IArchivedContainer;

  /** The cursors of the shown lines, in order. */
  get shownCursors(): string[] {
    return this._cursors;
  }

  /** Load (again) the last lines. */
  async load(): Promise<void> {
    this._status.textContent = 'Loading…';
    try {
      const lines = await fetchArchivedLines(this.container.id);
      if (this.isDisposed) {
        return;
      }
      this._view.clear();
      this._cursors = lines.map(l => l.cursor);
      this._index = new Map(this._cursors.map((c, i) => [c, i]));
      // One write (5,000 small writes would each be parsed apart).
      let stdout = '';
      for (const line of lines) {
        if (line.stream === 'stderr') {
          if (stdout) {
            this._view.writeLog(stdout, 'stdout');
            stdout = '';
          }
          this._view.writeLog(`${line.line}\n`, 'stderr');
        } else {
          stdout += `${line.line}\n`;
        }
      }
      if (stdout) {
        this._view.writeLog(stdout, 'stdout');
      }
      const shown = lines.length.toLocaleString();
      this._status.textContent =
        this.container.lines > lines.length
          ? `the last ${shown} lines`
          : `${shown} lines`;
      this.node.dataset.loaded = 'true';
    } catch (error) {
      this._status.textContent = `Could not read the archive: ${(error as Error).message}`;
    }
  }

  /** Search the whole archive of the container and list the matches. */
  async search(query: string): Promise<void> {
    this._matches.textContent = '';
    query = query.trim();
    if (!query) {
      this._matches.hidden = true;
      return;
    }
    this._matches.hidden = false;
    const serial = ++this._searchSerial;
    const waiting = document.createElement('li');
    waiting.className = 'jp-LittleWings-archivedNote';
    waiting.textContent = 'Searching…';
    this._matches.appendChild(waiting);
    let answer: Awaited<ReturnType<typeof searchArchive>>;
    try {
      answer = await searchArchive(
        this.container.id,
        query,
        this._regex.checked
      );
    } catch (error) {
      if (serial === this._searchSerial) {
        waiting.textContent = `Search failed: ${(error as Error).message}`;
      }
      return;
    }
    if (serial !== this._searchSerial || this.isDisposed) {
      return;
    }
    this._matches.textContent = '';
    const note = document.createElement('li');
    note.className = 'jp-LittleWings-archivedNote';
    const n = answer.matches.length;
    note.textContent =
      `${n.toLocaleString()} match${n === 1 ? '' : 'es'}` +
      (answer.scanned !== undefined
        ? ` in ${answer.scanned.toLocaleString()} lines`
        : '') +
      (answer.reason && answer.reason !== 'done' ? ` (${answer.reason})` : '');
    this._matches.appendChild(note);
    for (const match of answer.matches) {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'jp-LittleWings-archivedMatch';
      button.dataset.cursor = match.cursor;
      if (match.stream === 'stderr') {
        button.classList.add('jp-mod-stderr');
      }
      const shown = this._index.has(match.cursor);
      if (!shown) {
        button.classList.add('jp-mod-notShown');
        button.title = `Not among the last ${ARCHIVE_TAIL.toLocaleString()} lines shown`;
      } else {
        button.title = 'Show this line';
      }
      if (match.level) {
        const level = document.createElement('span');
        level.className = 'jp-LittleWings-archivedLevel';
        level.textContent = match.level;
        button.appendChild(level);
      }
      const text = document.createElement('span');
      text.className = 'jp-LittleWings-archivedMatchText';
      text.textContent = match.line;
      button.appendChild(text);
      button.addEventListener('click', () => {
        for (const other of this._matches.querySelectorAll('.jp-mod-active')) {
          other.classList.remove('jp-mod-active');
        }
        button.classList.add('jp-mod-active');
        this.reveal(match.cursor);
      });
      item.appendChild(button);
      this._matches.appendChild(item);
    }
  }

  /** Scroll to a shown line and select it; false if it is not among the shown lines. */
  reveal(cursor: string): boolean {
    const index = this._index.get(cursor);
    if (index === undefined) {
      return false;
    }
    const terminal = this._view.terminal;
    const buffer = terminal.buffer.active;
    // The index-th logical line: a wrapped line takes several rows of the buffer.
    let logical = -1;
    let row = 0;
    for (; row < buffer.length; row++) {
      if (!buffer.getLine(row)?.isWrapped) {
        logical++;
        if (logical === index) {
          break;
        }
      }
    }
    if (logical !== index) {
      return false;
    }
    let rows = 1;
    while (buffer.getLine(row + rows)?.isWrapped) {
      rows++;
    }
    terminal.scrollToLine(Math.max(0, row - Math.floor(terminal.rows / 3)));
    terminal.selectLines(row, row + rows - 1);
    return true;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._view.open();
    if (!this._loaded) {
      this._loaded = true;
      void this.load();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._view.fit();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._view.fit();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._view.dispose();
    super.dispose();
  }

  private _view: LogView;
  private _status: HTMLElement;
  private _query: HTMLInputElement;
  private _regex: HTMLInputElement;
  private _matches: HTMLOListElement;
  private _cursors: string[] = [];
  private _index = new Map<string, number>();
  private _loaded = false;
  private _searchSerial = 0;
}

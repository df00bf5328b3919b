/**
 * The tabs of a container's console: Logs, then a tab per shell in the container (docker exec
 * -it) with New shell and the form for another command or user. The shells a browser tab had
 * open come back after a reload (sessionStorage); closing a tab hangs its shell up.
 */
import { ConsoleConnection } from './connection';
import { IconName, iconNode } from './icons';
import { LogView } from './logview';
import { splitCommand } from './shell';
import { ShellView } from './shellview';
import { iconButton } from './toolbar';

/** The tab bar and the shells' area; the logs' pane is the console's, shown or hidden here. */
export class ShellTabs {
  constructor(options: ShellTabs.IOptions) {
    this._connection = options.connection;
    this._logView = options.logView;
    this._logsPane = options.logsPane;
    this._storageKey = options.storageKey;
    this._fontSize = options.fontSize;
    this._isAttached = options.isAttached;
    this._missing = options.missing;

    this.node = document.createElement('div');
    this.node.className = 'jp-LittleWings-tabBar';
    this._tabList = document.createElement('div');
    this._tabList.className = 'jp-LittleWings-tabs';
    this._tabList.setAttribute('role', 'tablist');
    this._tabList.setAttribute('aria-label', 'Logs and shells');
    this._logsTab = this._makeTab('Logs', 'logs', () => this.showLogs());
    this._logsTab.classList.add('jp-LittleWings-logsTab');

    this._newShellButton = iconButton(
      'plus',
      'Open a shell in the container (docker exec -it)',
      'Shell'
    );
    this._newShellButton.classList.add('jp-LittleWings-newShell');
    this._newShellButton.addEventListener('click', () => this.open());
    const more = iconButton(
      'down',
      'Open a shell with another command or user…'
    );
    more.classList.add('jp-LittleWings-shellOptions');
    more.addEventListener('click', () => this._toggleForm());
    this._tabList.append(this._logsTab, this._newShellButton, more);
    this._form = this._buildForm();
    this.node.append(this._tabList, this._form);

    this.area = document.createElement('div');
    this.area.className = 'jp-LittleWings-shellArea';
    this.area.setAttribute('role', 'tabpanel');
    this.area.hidden = true;
    this.render();
  }

  /** The tab bar: goes above the logs' pane. */
  readonly node: HTMLDivElement;

  /** Where the shells' terminals are: goes after the logs' pane. */
  readonly area: HTMLDivElement;

  /** The shells open, in tab order. */
  get shells(): ShellView[] {
    return [...this._views];
  }

  /** The shell whose tab is shown, or null when the logs are. */
  get current(): ShellView | null {
    return this._current;
  }

  /** Open a shell in a new tab, and show it unless told not to. */
  open(options: ShellTabs.IShellOptions = {}): ShellView {
    const size = this._terminalSize();
    const channel = this._connection.openShell({
      command: options.command,
      user: options.user,
      rows: size.rows,
      cols: size.cols,
      attach: options.attach
    });
    const view = new ShellView(channel);
    view.fontSize = this._fontSize();
    const number = ++this._counter;
    const label =
      options.label ??
      `Shell ${number}${options.user ? ` (${options.user})` : ''}`;
    this._labels.set(view, label);
    const tab = this._makeTab(label, 'shell', () => this.select(view));
    tab.classList.add('jp-LittleWings-shellTab');
    const close = document.createElement('span');
    close.className = 'jp-LittleWings-tabClose';
    close.setAttribute('role', 'button');
    close.setAttribute('aria-label', `Close ${label}`);
    close.title = 'Close the shell (it is hung up)';
    close.appendChild(iconNode('close'));
    close.addEventListener('click', event => {
      event.stopPropagation();
      this.close(view);
    });
    tab.appendChild(close);
    tab.addEventListener('auxclick', event => {
      if (event.button === 1) {
        this.close(view);
      }
    });
    this._tabList.insertBefore(tab, this._newShellButton);
    this._tabs.set(view, tab);
    this._views.push(view);
    this.area.appendChild(view.node);
    const describe = () => {
      const phase = channel.phase;
      tab.dataset.phase = phase;
      const command = channel.command.length
        ? channel.command.join(' ')
        : (options.command ?? []).join(' ') || 'default shell';
      const state =
        phase === 'ended' || phase === 'refused'
          ? ShellView.endText(channel.end)
          : phase === 'reattaching'
            ? 'reconnecting…'
            : phase;
      tab.title = `${command}${options.user ? ` as ${options.user}` : ''} — ${state}`;
    };
    channel.phaseChanged.connect(describe);
    channel.phaseChanged.connect(() => this._save());
    describe();
    if (options.select !== false) {
      this.select(view);
    }
    return view;
  }

  /** Take back the shells this browser tab had open (after a reload). */
  restore(): void {
    for (const saved of Private.loadShells(this._storageKey)) {
      this.open({ attach: saved.id, label: saved.label, select: false });
    }
  }

  /** Show a shell's tab. */
  select(view: ShellView): void {
    if (!this._tabs.has(view)) {
      return;
    }
    this._current = view;
    this._logsPane.hidden = true;
    this.area.hidden = false;
    for (const other of this._views) {
      other.node.hidden = other !== view;
    }
    this.render();
    if (this._isAttached()) {
      view.open();
      view.fit();
      view.focus();
    }
  }

  /** Show the logs. */
  showLogs(): void {
    this._current = null;
    this._logsPane.hidden = false;
    this.area.hidden = true;
    this.render();
    this._logView.fit();
  }

  /** Close a shell's tab: the shell is hung up (SIGHUP through its terminal). */
  close(view: ShellView): void {
    const tab = this._tabs.get(view);
    if (!tab) {
      return;
    }
    const index = this._views.indexOf(view);
    this._views.splice(index, 1);
    this._tabs.delete(view);
    tab.remove();
    view.channel.dispose();
    view.dispose();
    this._labels.delete(view);
    this._save();
    if (this._current === view) {
      const next = this._views[Math.min(index, this._views.length - 1)];
      if (next) {
        this.select(next);
      } else {
        this.showLogs();
      }
    }
  }

  /** Which tab is current, and whether (and why not) a shell can be opened. */
  render(): void {
    const logs = this._current === null;
    this._logsTab.classList.toggle('jp-mod-current', logs);
    this._logsTab.setAttribute('aria-selected', String(logs));
    for (const [view, tab] of this._tabs) {
      const current = view === this._current;
      tab.classList.toggle('jp-mod-current', current);
      tab.setAttribute('aria-selected', String(current));
    }
    // Shells need write, and the server's shell_enabled; the server says so if not.
    const hello = this._connection.socket.hello;
    const limits = (hello?.limits ?? {}) as { shell_enabled?: boolean };
    const canWrite = this._connection.permissions?.write !== false;
    const running =
      (this._connection.container?.state ?? 'running') === 'running';
    const missing = this._missing();
    this._newShellButton.disabled = missing;
    this._newShellButton.title = missing
      ? 'There is no such container (any more)'
      : !canWrite
        ? 'Shells need write access (you may only watch); the server will refuse'
        : limits.shell_enabled === false
          ? 'Shells are disabled on this server (shell_enabled)'
          : !running
            ? 'The container is not running: start it to open a shell'
            : 'Open a shell in the container (docker exec -it)';
  }

  /** The shells end with the console: nothing to take back after a reload. */
  dispose(): void {
    for (const view of this._views) {
      view.dispose();
    }
    this._views = [];
    Private.saveShells(this._storageKey, []);
  }

  /** Remember the open shells for this browser tab, so a reload takes them back. */
  private _save(): void {
    const saved = this._views
      .filter(
        v =>
          v.channel.shellId &&
          v.channel.phase !== 'ended' &&
          v.channel.phase !== 'refused'
      )
      .map(v => ({ id: v.channel.shellId!, label: this._labels.get(v) }));
    Private.saveShells(this._storageKey, saved);
  }

  /** The terminal size a new shell gets: what the log view shows now (its tab is that big). */
  private _terminalSize(): { rows: number; cols: number } {
    const current = this._current;
    if (current) {
      return { rows: current.channel.rows, cols: current.channel.cols };
    }
    const terminal = this._logView.terminal;
    return terminal.rows > 1 && terminal.cols > 1
      ? { rows: terminal.rows, cols: terminal.cols }
      : { rows: 24, cols: 80 };
  }

  private _makeTab(
    label: string,
    icon: IconName,
    select: () => void
  ): HTMLDivElement {
    const tab = document.createElement('div');
    tab.className = 'jp-LittleWings-tab';
    tab.setAttribute('role', 'tab');
    tab.tabIndex = 0;
    const text = document.createElement('span');
    text.className = 'jp-LittleWings-tabLabel';
    text.textContent = label;
    tab.append(iconNode(icon), text);
    tab.addEventListener('click', select);
    tab.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        select();
      }
    });
    return tab;
  }

  /** Portainer-style: the command and the user of a new shell. */
  private _buildForm(): HTMLFormElement {
    const form = document.createElement('form');
    form.className = 'jp-LittleWings-shellForm';
    form.hidden = true;
    const command = document.createElement('input');
    command.name = 'command';
    command.placeholder = 'Command (default: bash, else sh)';
    command.setAttribute('aria-label', 'Shell command');
    command.spellcheck = false;
    const user = document.createElement('input');
    user.name = 'user';
    user.placeholder = "User (default: the image's)";
    user.setAttribute('aria-label', 'Run as user');
    user.spellcheck = false;
    const open = document.createElement('button');
    open.type = 'submit';
    open.className = 'jp-LittleWings-button jp-LittleWings-shellFormOpen';
    open.textContent = 'Open';
    form.append(command, user, open);
    form.addEventListener('submit', event => {
      event.preventDefault();
      const argv = splitCommand(command.value);
      form.hidden = true;
      this.open({
        command: argv.length ? argv : undefined,
        user: user.value.trim() || undefined
      });
    });
    form.addEventListener('keydown', event => {
      event.stopPropagation();
      if (event.key === 'Escape') {
        form.hidden = true;
      }
    });
    return form;
  }

  private _toggleForm(): void {
    this._form.hidden = !this._form.hidden;
    if (!this._form.hidden) {
      (this._form.elements.namedItem('command') as HTMLInputElement).focus();
    }
  }

  private _connection: ConsoleConnection;
  private _logView: LogView;
  private _logsPane: HTMLElement;
  private _storageKey: string | null;
  private _fontSize: () => number | null;
  private _isAttached: () => boolean;
  private _missing: () => boolean;
  private _tabList: HTMLDivElement;
  private _logsTab: HTMLDivElement;
  private _newShellButton: HTMLButtonElement;
  private _form: HTMLFormElement;
  private _views: ShellView[] = [];
  private _tabs = new Map<ShellView, HTMLDivElement>();
  private _labels = new Map<ShellView, string>();
  private _current: ShellView | null = null;
  private _counter = 0;
}

export namespace ShellTabs {
  /** What a new shell may be told. */
  export interface IShellOptions {
    /** An argv; the server's default shell otherwise. */
    command?: string[];
    /** As `docker exec -u`. */
    user?: string;
    /** Take back a shell opened earlier (its id) instead of opening one. */
    attach?: string;
    /** The tab's label. */
    label?: string;
    /** Show the new tab (default true). */
    select?: boolean;
  }

  export interface IOptions {
    /** The container's connection: shells are opened on it. */
    connection: ConsoleConnection;
    /** The log view (a new shell's terminal takes its size; Logs fits it again). */
    logView: LogView;
    /** The pane of the logs, hidden while a shell's tab is shown. */
    logsPane: HTMLElement;
    /** Where this browser tab remembers the shells for a reload (sessionStorage); null: nowhere. */
    storageKey: string | null;
    /** The font size of a new shell's terminal (null follows the code font). */
    fontSize: () => number | null;
    /** Whether the console is in the page (a shell shown then opens its terminal). */
    isAttached: () => boolean;
    /** Whether the server said there is no such container (any more). */
    missing: () => boolean;
  }
}

namespace Private {
  /** Shells of a console in this browser tab (sessionStorage: a reload, not another tab). */
  export function loadShells(
    key: string | null
  ): { id: string; label?: string }[] {
    if (!key) {
      return [];
    }
    try {
      const value = JSON.parse(window.sessionStorage.getItem(key) ?? '[]');
      return Array.isArray(value)
        ? value.filter(v => v && typeof v.id === 'string')
        : [];
    } catch {
      return [];
    }
  }

  export function saveShells(
    key: string | null,
    shells: { id: string; label?: string }[]
  ): void {
    if (!key) {
      return;
    }
    try {
      if (shells.length) {
        window.sessionStorage.setItem(key, JSON.stringify(shells));
      } else {
        window.sessionStorage.removeItem(key);
      }
    } catch {
      // No storage: shells then last as long as the page.
    }
  }
}

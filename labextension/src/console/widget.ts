/**
 * The console of one container: a header (state, CPU and memory, published ports, power
 * buttons, pin), the toolbar and the log view, the command box (commandbox.ts) and the shell
 * tabs (shelltabs.ts); what it shares with the merged console is in base.ts.
 */
import { Message } from '@lumino/messaging';
import { ISignal } from '@lumino/signaling';

import { ConsoleBase, IConsoleSettings } from './base';
import { CommandBox } from './commandbox';
import { ConsoleConnection } from './connection';
import {
  STATE_LABELS,
  portText,
  portUrl,
  statusText,
  shortImage
} from './format';
import { IconName, stateNode } from './icons';
import { ILogLine, LineFormatter } from './loglines';
import {
  IContainerSummary,
  IErrorMessage,
  ILogMessage,
  IPublishedPort,
  IStatsMessage,
  POWER_ACTIONS,
  PowerAction,
  actionAllowed,
  actionLabel,
  displayState
} from './protocol';
import { ShellTabs } from './shelltabs';
import { ShellView } from './shellview';
import { IConnectionStatus } from './socket';
import { Sparkline, formatBytes } from './sparkline';
import { stderrTint } from './theme';
import { iconButton } from './toolbar';

/**
 * The console of one container: a header (name, state, power, live CPU and memory), the log view
 * with search, a command box, and a tab per shell.
 *
 * It needs only a `ConsoleConnection` (and, to download logs, a callback): no JupyterLab
 * application object, so a notebook widget can host it as well.
 */
export class ContainerConsole extends ConsoleBase {
  constructor(options: ContainerConsole.IOptions) {
    super(options.connection, options.settings);
    this._downloadLogs = options.downloadLogs ?? null;
    this._portProxy = options.portProxy ?? (() => null);
    this._pin = options.pin ?? null;
    this._timestamps = this.connection.watchOptions.timestamps;
    // A container of another engine than the default one has keys of its own.
    const engine = this.connection.engine;
    const storageName = engine
      ? `${engine}/${this.connection.serverId}`
      : this.connection.serverId;
    this.title.label = this._withEngine(this.connection.serverId);

    this._buildHeader();
    this._logsPane = document.createElement('div');
    this._logsPane.className = 'jp-LittleWings-logsPane';
    this._logsPane.setAttribute('role', 'tabpanel');
    this._tabs = new ShellTabs({
      connection: this.connection,
      logView: this._logView,
      logsPane: this._logsPane,
      storageKey:
        options.shellStorageKey === undefined
          ? `littlewings:shells:${storageName}`
          : options.shellStorageKey,
      fontSize: () => this._settings.fontSize,
      isAttached: () => this.isAttached,
      missing: () => this._missing
    });
    this.node.append(this._tabs.node, this._logsPane, this._tabs.area);
    this._addToolbar(this._logsPane, {
      escaped: () => this._commandBox.focus(),
      downloads: this._downloadLogs
        ? [
            {
              title: 'Download the logs as a file',
              label: 'Download',
              className: 'jp-LittleWings-download',
              run: () => void this.download()
            }
          ]
        : []
    });
    this._addLogArea(this._logsPane);
    this._commandBox = new CommandBox({
      connection: this.connection,
      logView: this._logView,
      write: text => this._writeOwn(text),
      missing: () => this._missing,
      historyKey: `littlewings:history:${storageName}`
    });
    this._logsPane.appendChild(this._commandBox.node);

    const c = this.connection;
    c.logReceived.connect(this._onLog, this);
    c.containerChanged.connect(this._onContainer, this);
    c.statsReceived.connect(this._onStats, this);
    c.errorReceived.connect(this._onError, this);
    this._watchConnection();
    this._renderHeader();
    this._tick = window.setInterval(() => this._renderMeta(), 15000);
    this._tabs.restore();
  }

  /** Change settings at run time (from the settings editor). */
  updateSettings(settings: Partial<IConsoleSettings>): void {
    super.updateSettings(settings);
    if (settings.fontSize !== undefined) {
      for (const view of this._tabs.shells) {
        view.fontSize = settings.fontSize;
      }
    }
    if (settings.stats !== undefined) {
      this._statsNode.hidden = !settings.stats;
      this.connection.setWatchOptions({ stats: settings.stats });
    }
  }

  /** Re-read colours and fonts from the page (after a theme change). */
  updateTheme(): void {
    this._logView.updateTheme();
    for (const view of this._tabs.shells) {
      view.updateTheme();
    }
    this._applyTint();
  }

  /** The stderr tint of the page's theme; the view is drawn again when it changed. */
  private _applyTint(): void {
    const tint = stderrTint(this.node);
    if (tint !== this._formatter.options.stderrTint) {
      this._formatter.options.stderrTint = tint;
      this._redraw();
    }
  }

  /** The shells open in this console, in tab order. */
  get shells(): ShellView[] {
    return this._tabs.shells;
  }

  /** The shell whose tab is shown, or null when the logs are. */
  get currentShell(): ShellView | null {
    return this._tabs.current;
  }

  /**
   * Open a shell in the container in a new tab and show it. Without a command the server's
   * default runs (bash if the container has it, else sh); `user` is as `docker exec -u`.
   */
  openShell(options: ContainerConsole.IShellOptions = {}): ShellView {
    return this._tabs.open(options);
  }

  /** Show a shell's tab. */
  selectShell(view: ShellView): void {
    this._tabs.select(view);
  }

  /** Show the logs. */
  showLogs(): void {
    this._tabs.showLogs();
  }

  /** Close a shell's tab: the shell is hung up (SIGHUP through its terminal). */
  closeShell(view: ShellView): void {
    this._tabs.close(view);
  }

  /** Show timestamps on each line (the history is loaded again). */
  protected _timestampsChanged(on: boolean): void {
    this.connection.setWatchOptions({ timestamps: on });
  }

  /** Put the focus in the command box. */
  focusCommand(): void {
    this._commandBox.focus();
  }

  /** Download the logs as a file. */
  async download(): Promise<void> {
    if (this._downloadLogs) {
      await this._downloadLogs(
        this.connection.container?.name || this.connection.serverId,
        this._timestamps
      );
    }
  }

  /** Ask for a power action; failures are shown in the log view. */
  async power(action: PowerAction): Promise<void> {
    this._busy = true;
    this._renderHeader();
    try {
      await this.connection.power(action);
    } catch (err) {
      const e = err as IErrorMessage;
      this._writeOwn(
        `\x1b[31m${actionLabel(action)} failed: ${e.message ?? String(err)}\x1b[0m\r\n`
      );
    } finally {
      this._busy = false;
      this._renderHeader();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearInterval(this._tick);
    // Closing the console ends its shells: nothing to take back after a reload.
    this._tabs.dispose();
    super.dispose();
  }

  protected _attached(): void {
    this._applyTint();
    this._tabs.current?.open();
  }

  protected _sizedNodes(): HTMLElement[] {
    return [...super._sizedNodes(), this._tabs.area];
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    const shell = this._tabs.current;
    if (shell) {
      shell.focus();
    } else if (!this._commandBox.disabled) {
      this._commandBox.focus();
    } else {
      this._searchInput.focus();
    }
  }

  // ---- building the DOM -------------------------------------------------------------------

  /** The header: the state, the title with the ports, the stats, power and the pin. */
  private _buildHeader(): void {
    this._stateSlot = document.createElement('span');
    this._stateSlot.className = 'jp-LittleWings-consoleState';
    this._portsNode = document.createElement('span');
    this._portsNode.className = 'jp-LittleWings-consolePorts';

    this._statsNode = document.createElement('div');
    this._statsNode.className = 'jp-LittleWings-consoleStats';
    this._statsNode.hidden = !this._settings.stats;
    this._cpu = new Sparkline({
      label: 'CPU',
      title: 'CPU usage (100% = one core)',
      format: v => `${v.toFixed(v < 10 ? 1 : 0)}%`,
      className: 'jp-LittleWings-cpu'
    });
    this._memory = new Sparkline({
      label: 'MEM',
      title: 'Memory usage',
      format: formatBytes,
      className: 'jp-LittleWings-memory'
    });
    this._statsNode.append(this._cpu.node, this._memory.node);

    const power = document.createElement('div');
    power.className = 'jp-LittleWings-powerButtons';
    power.setAttribute('role', 'group');
    power.setAttribute('aria-label', 'Power');
    for (const action of POWER_ACTIONS) {
      const button = iconButton(action as IconName, actionLabel(action));
      button.classList.add(`jp-LittleWings-power-${action}`);
      button.dataset.action = action;
      button.addEventListener('click', () => void this.power(action));
      this._powerButtons.set(action, button);
      power.appendChild(button);
    }

    const trail: HTMLElement[] = [this._statsNode, power];
    const pin = this._pin;
    if (pin) {
      const button = iconButton(
        'pin',
        'Pin for alerts: a notification when this container dies, is OOM-killed, turns unhealthy or logs a saved pattern, also while its console is closed'
      );
      button.classList.add('jp-LittleWings-pin');
      const render = () => {
        const on = pin.isPinned();
        button.setAttribute('aria-pressed', String(on));
        button.classList.toggle('jp-mod-active', on);
      };
      button.addEventListener('click', () => {
        pin.setPinned(!pin.isPinned());
        render();
      });
      pin.changed.connect(render, this);
      render();
      trail.push(button);
    }
    this._addHeader({
      lead: this._stateSlot,
      nameClass: 'jp-LittleWings-consoleName',
      metaClass: 'jp-LittleWings-consoleMeta',
      titleEnd: [this._portsNode],
      trail
    });
  }

  protected _fit(): void {
    const shell = this._tabs.current;
    if (shell) {
      shell.fit();
    } else {
      this._logView.fit();
    }
  }

  // ---- reacting to the connection --------------------------------------------------------

  private _onLog(sender: ConsoleConnection, message: ILogMessage): void {
    const texts = this._buffer.split(message.stream, message.data);
    if (!texts.length) {
      return;
    }
    const lines: ILogLine[] = texts.map(text => ({
      container: '',
      stream: message.stream,
      text
    }));
    this._buffer.push(lines);
    this._write(lines);
  }

  protected _write(lines: readonly ILogLine[]): void {
    const out = this._format(lines);
    if (out) {
      this._logView.writeRaw(out);
    }
  }

  /** Draw the buffer again (a filter, a toggle or the theme changed; a record folded, which
   * keeps its row). */
  protected _redraw(fold?: { uri: string; row: number }): void {
    this._formatter.reset();
    this._logView.redraw(
      this._buffer.lines,
      lines => this._write(lines),
      () => this._searchInput.value,
      fold
    );
  }

  protected _onConnected(): void {
    this._missing = false;
    super._onConnected();
    this._commandBox.connected();
    this._renderHeader();
    this._commandBox.render();
  }

  private _onContainer(
    sender: ConsoleConnection,
    container: IContainerSummary
  ): void {
    if (container.name) {
      this.title.label = this._withEngine(container.name);
    }
    const engine = this.connection.engine
      ? ` on ${this.connection.engine}`
      : '';
    this.title.caption = `Console of ${container.name || container.id}${engine}${container.image ? ` (${container.image})` : ''}`;
    if (container.state !== 'running') {
      this._cpu.clear();
      this._memory.clear();
    }
    this._renderHeader();
  }

  private _onStats(sender: ConsoleConnection, stats: IStatsMessage): void {
    this._cpu.push(stats.cpu_percent, stats.cpu_percent);
    this._memory.push(stats.memory?.percent, stats.memory?.usage);
  }

  private _onError(sender: ConsoleConnection, error: IErrorMessage): void {
    if (error.code === 'not_found' || error.code === 'forbidden') {
      this._showOverlay(error.message);
      // (A console restored after a reload for a container removed meanwhile.)
      this._missing = error.code === 'not_found';
      this._commandBox.render();
      this._tabs.render();
    } else {
      this._writeOwn(`\x1b[31m${error.message}\x1b[0m\r\n`);
    }
  }

  protected _onConnectionStatus(
    sender: ConsoleConnection,
    status: IConnectionStatus
  ): void {
    super._onConnectionStatus(sender, status);
    this._renderHeader();
    this._commandBox.render();
  }

  // ---- rendering --------------------------------------------------------------------------

  private _renderHeader(): void {
    this._tabs.render();
    const c = this.connection.container;
    const name = c?.name || this.connection.serverId;
    this._nameNode.textContent = name;
    const state = c
      ? c.state === 'removed'
        ? 'dead'
        : displayState(c)
      : 'unknown';
    const label = c?.state === 'removed' ? 'Removed' : STATE_LABELS[state];
    this._stateSlot.replaceChildren(stateNode(state, label));
    this._renderMeta();

    const canWrite = this.connection.permissions?.write !== false;
    const live = this.connection.isConnected;
    for (const [action, button] of this._powerButtons) {
      const allowed = !!c && actionAllowed(action, c.state);
      button.disabled = !live || !canWrite || this._busy || !allowed;
      // Pause and resume share a place: show the one that applies.
      if (action === 'pause') {
        button.hidden = c?.state === 'paused';
      } else if (action === 'unpause') {
        button.hidden = c?.state !== 'paused';
      }
      button.title = !canWrite
        ? `${actionLabel(action)} (you may only watch)`
        : actionLabel(action);
    }
  }

  private _renderMeta(): void {
    const c = this.connection.container;
    if (!c) {
      this._metaNode.textContent = '';
      return;
    }
    const parts = [
      shortImage(c.image),
      c.state === 'removed' ? 'Removed' : statusText(c)
    ];
    this._metaNode.textContent = parts.filter(Boolean).join(' · ');
    this._metaNode.title = c.id ? `${c.image ?? ''}\n${c.id}` : '';
    this._renderPorts(c.state === 'running' ? (c.ports ?? []) : []);
  }

  /** The published ports, each a link that opens it (a UDP port as text). */
  private _renderPorts(ports: IPublishedPort[]): void {
    const key = JSON.stringify(ports) + (this._portProxy() ?? '');
    if (key === this._portsKey) {
      return;
    }
    this._portsKey = key;
    this._portsNode.replaceChildren();
    for (const port of ports) {
      const url = portUrl(port, this._portProxy(), window.location);
      const text = portText(port);
      const node = document.createElement(url ? 'a' : 'span');
      node.className = 'jp-LittleWings-port';
      node.textContent = text;
      if (url) {
        const link = node as HTMLAnchorElement;
        link.href = url;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        link.title = `Open ${url} (port ${port.container_port}/${port.protocol} of the container)`;
      } else {
        node.title = `Host port ${port.host_port} (${port.protocol}) to the container's ${port.container_port}`;
      }
      this._portsNode.appendChild(node);
    }
  }

  private _logsPane: HTMLDivElement;
  private _tabs: ShellTabs;
  private _commandBox: CommandBox;
  /** The server said there is no such container (it was removed while the page was away). */
  private _missing = false;
  private _downloadLogs: ContainerConsole.DownloadLogs | null;
  private _pin: ContainerConsole.IPinControl | null;
  protected _formatter = new LineFormatter({
    raw: false,
    minLevel: null,
    timestamps: true
  });
  protected readonly _writer = 'the container writes';
  private _busy = false;
  private _tick = 0;
  private _powerButtons = new Map<PowerAction, HTMLButtonElement>();
  private _stateSlot!: HTMLSpanElement;
  private _portsNode!: HTMLSpanElement;
  private _portsKey = '';
  private _portProxy: () => string | null;
  private _statsNode!: HTMLDivElement;
  private _cpu!: Sparkline;
  private _memory!: Sparkline;
}

export namespace ContainerConsole {
  /** What `openShell` may be told. */
  export type IShellOptions = ShellTabs.IShellOptions;

  /** Fetch the logs of a container and save them as a file. */
  export type DownloadLogs = (
    container: string,
    timestamps: boolean
  ) => Promise<void>;

  /** The header's pin (alerts): whether the container is pinned, and a way to change it. */
  export interface IPinControl {
    isPinned: () => boolean;
    setPinned: (pinned: boolean) => void;
    /** Emitted when pins change elsewhere (the sidebar's menu). */
    changed: ISignal<unknown, unknown>;
  }

  export interface IOptions {
    /** The connection to show; the console owns it and disposes it. */
    connection: ConsoleConnection;
    /** A pin toggle in the header (alerts), when given. */
    pin?: IPinControl;
    settings?: Partial<IConsoleSettings>;
    downloadLogs?: DownloadLogs;
    /** Where this browser tab remembers the console's shells for a reload (sessionStorage);
     * null: nowhere. Default: one key per container. */
    shellStorageKey?: string | null;
    /** Where jupyter-server-proxy serves local ports (`<base_url>proxy/`), asked each time the
     * header is drawn; absent or null: a port opens on the host the page came from. */
    portProxy?: () => string | null;
  }
}

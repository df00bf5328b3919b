/**
 * The console of one container: a header (state, CPU and memory, published ports, power
 * buttons), the toolbar, the log view, the command box with its history, and the shell tabs;
 * what it shares with the merged console is in base.ts. It stays whole because its header,
 * command box and shell tabs all follow the one container's state over the one connection.
 */
import { Message } from '@lumino/messaging';
import { ISignal } from '@lumino/signaling';

import { ConsoleBase, IConsoleSettings } from './base';
import { CommandEvent, ConsoleConnection } from './connection';
import {
  STATE_LABELS,
  lossText,
  portText,
  portUrl,
  statusText,
  shortImage
} from './format';
import { IconName, iconNode, stateNode } from './icons';
import { ILogLine, LineFormatter } from './loglines';
import { HistorySearchPanel } from './historysearch';
import { LogView } from './logview';
import { stderrTint } from './theme';
import { iconButton, logToolbar } from './toolbar';
import { splitCommand } from './shell';
import { ShellView } from './shellview';
import {
  CommandVia,
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
import { IConnectionStatus } from './socket';
import { Sparkline, formatBytes } from './sparkline';

const HISTORY_LIMIT = 200;
const PROMPT = '\x1b[1;34m❯\x1b[0m';

/**
 * The console of one container: a header (name, state, power, live CPU and memory), the log view
 * with search, and a command box.
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
    this._historyKey = `littlewings:history:${storageName}`;
    this._shellsKey =
      options.shellStorageKey === undefined
        ? `littlewings:shells:${storageName}`
        : options.shellStorageKey;
    this._history = Private.loadHistory(this._historyKey);
    this._historyIndex = this._history.length;
    this.title.label = Private.withEngine(
      this.connection.serverId,
      this.connection.engine
    );
    this.title.closable = true;

    this._historySearch = new HistorySearchPanel({
      connection: this.connection
    });
    this._buildHeader();
    this._buildTabs();
    this._logsPane = document.createElement('div');
    this._logsPane.className = 'jp-LittleWings-logsPane';
    this._logsPane.setAttribute('role', 'tabpanel');
    this._shellArea = document.createElement('div');
    this._shellArea.className = 'jp-LittleWings-shellArea';
    this._shellArea.setAttribute('role', 'tabpanel');
    this._shellArea.hidden = true;
    this.node.append(this._logsPane, this._shellArea);
    this._buildToolbar();
    this._buildLogArea();
    this._buildCommandBar();

    const c = this.connection;
    c.logReceived.connect(this._onLog, this);
    c.historyEnded.connect(this._onHistoryEnd, this);
    c.connected.connect(this._onConnected, this);
    c.containerChanged.connect(this._onContainer, this);
    c.statsReceived.connect(this._onStats, this);
    // Lines missing here (read too slowly, the throttle, the engine's stream) are said where
    // they are missing.
    c.lossReported.connect((_, notice) => {
      this._writeOwn(Private.notice(lossText(notice)));
    }, this);
    c.commandEvent.connect(this._onCommandEvent, this);
    c.errorReceived.connect(this._onError, this);
    c.reset.connect(this._onReset, this);
    c.connectionStatusChanged.connect(this._onConnectionStatus, this);
    this._logView.followingChanged.connect(this._onFollowing, this);

    this._onConnectionStatus(c, c.connectionStatus);
    this._renderHeader();
    this._tick = window.setInterval(() => this._renderMeta(), 15000);
    this._restoreShells();
  }

  /** Change settings at run time (from the settings editor). */
  updateSettings(settings: Partial<IConsoleSettings>): void {
    super.updateSettings(settings);
    if (settings.fontSize !== undefined) {
      for (const view of this._shellViews) {
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
    for (const view of this._shellViews) {
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
    return [...this._shellViews];
  }

  /** The shell whose tab is shown, or null when the logs are. */
  get currentShell(): ShellView | null {
    return this._currentShell;
  }

  /**
   * Open a shell in the container in a new tab and show it. Without a command the server's
   * default runs (bash if the container has it, else sh); `user` is as `docker exec -u`.
   */
  openShell(options: ContainerConsole.IShellOptions = {}): ShellView {
    const size = this._terminalSize();
    const channel = this.connection.openShell({
      command: options.command,
      user: options.user,
      rows: size.rows,
      cols: size.cols,
      attach: options.attach
    });
    const view = new ShellView(channel);
    view.fontSize = this._settings.fontSize;
    const number = ++this._shellCounter;
    const label =
      options.label ??
      `Shell ${number}${options.user ? ` (${options.user})` : ''}`;
    this._shellLabels.set(view, label);
    const tab = this._makeTab(label, 'shell', () => this.selectShell(view));
    tab.classList.add('jp-LittleWings-shellTab');
    const close = document.createElement('span');
    close.className = 'jp-LittleWings-tabClose';
    close.setAttribute('role', 'button');
    close.setAttribute('aria-label', `Close ${label}`);
    close.title = 'Close the shell (it is hung up)';
    close.appendChild(iconNode('close'));
    close.addEventListener('click', event => {
      event.stopPropagation();
      this.closeShell(view);
    });
    tab.appendChild(close);
    tab.addEventListener('auxclick', event => {
      if (event.button === 1) {
        this.closeShell(view);
      }
    });
    this._tabList.insertBefore(tab, this._newShellButton);
    this._shellTabs.set(view, tab);
    this._shellViews.push(view);
    this._shellArea.appendChild(view.node);
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
    channel.phaseChanged.connect(() => this._saveShells());
    describe();
    if (options.select !== false) {
      this.selectShell(view);
    }
    return view;
  }

  /** Remember the open shells for this browser tab, so a reload takes them back. */
  private _saveShells(): void {
    const saved = this._shellViews
      .filter(
        v =>
          v.channel.shellId &&
          v.channel.phase !== 'ended' &&
          v.channel.phase !== 'refused'
      )
      .map(v => ({ id: v.channel.shellId!, label: this._shellLabels.get(v) }));
    Private.saveShells(this._shellsKey, saved);
  }

  private _restoreShells(): void {
    for (const saved of Private.loadShells(this._shellsKey)) {
      this.openShell({ attach: saved.id, label: saved.label, select: false });
    }
  }

  /** Show a shell's tab. */
  selectShell(view: ShellView): void {
    if (!this._shellTabs.has(view)) {
      return;
    }
    this._currentShell = view;
    this._logsPane.hidden = true;
    this._shellArea.hidden = false;
    for (const other of this._shellViews) {
      other.node.hidden = other !== view;
    }
    this._renderTabs();
    if (this.isAttached) {
      view.open();
      view.fit();
      view.focus();
    }
  }

  /** Show the logs. */
  showLogs(): void {
    this._currentShell = null;
    this._logsPane.hidden = false;
    this._shellArea.hidden = true;
    this._renderTabs();
    this._logView.fit();
  }

  /** Close a shell's tab: the shell is hung up (SIGHUP through its terminal). */
  closeShell(view: ShellView): void {
    const tab = this._shellTabs.get(view);
    if (!tab) {
      return;
    }
    const index = this._shellViews.indexOf(view);
    this._shellViews.splice(index, 1);
    this._shellTabs.delete(view);
    tab.remove();
    view.channel.dispose();
    view.dispose();
    this._shellLabels.delete(view);
    this._saveShells();
    if (this._currentShell === view) {
      const next =
        this._shellViews[Math.min(index, this._shellViews.length - 1)];
      if (next) {
        this.selectShell(next);
      } else {
        this.showLogs();
      }
    }
  }

  /** Show timestamps on each line (the history is loaded again). */
  protected _timestampsChanged(on: boolean): void {
    this.connection.setWatchOptions({ timestamps: on });
  }

  /** Put the focus in the command box. */
  focusCommand(): void {
    this._commandInput.focus();
  }

  /** Clear the log view (the container's logs are untouched). */
  clear(): void {
    this._buffer.clear();
    this._logView.clear();
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
    this._historySearch.dispose();
    for (const view of this._shellViews) {
      view.dispose();
    }
    this._shellViews = [];
    // Closing the console ends its shells: nothing to take back after a reload.
    Private.saveShells(this._shellsKey, []);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._logView.open();
    this._applyTint();
    if (this._currentShell) {
      this._currentShell.open();
    }
    if (!this._resizeObserver && typeof ResizeObserver !== 'undefined') {
      this._resizeObserver = new ResizeObserver(() => this._fit());
      this._resizeObserver.observe(this._logView.node);
      this._resizeObserver.observe(this._shellArea);
    }
    this._fit();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (this._currentShell) {
      this._currentShell.focus();
    } else if (!this._commandInput.disabled) {
      this._commandInput.focus();
    } else {
      this._searchInput.focus();
    }
  }

  // ---- building the DOM -------------------------------------------------------------------

  private _buildHeader(): void {
    const header = document.createElement('div');
    header.className = 'jp-LittleWings-consoleHeader';

    this._stateSlot = document.createElement('span');
    this._stateSlot.className = 'jp-LittleWings-consoleState';
    const title = document.createElement('div');
    title.className = 'jp-LittleWings-consoleTitle';
    this._nameNode = document.createElement('span');
    this._nameNode.className = 'jp-LittleWings-consoleName';
    this._metaNode = document.createElement('span');
    this._metaNode.className = 'jp-LittleWings-consoleMeta';
    title.append(this._nameNode);
    if (this.connection.engine) {
      // Not the default engine: say which one (the same name may be on several).
      const engine = document.createElement('span');
      engine.className = 'jp-LittleWings-consoleEngine';
      engine.textContent = this.connection.engine;
      engine.title = `On the Docker engine ${this.connection.engine}`;
      title.append(engine);
    }
    this._portsNode = document.createElement('span');
    this._portsNode.className = 'jp-LittleWings-consolePorts';
    title.append(this._metaNode, this._portsNode);

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

    this._connectionNode = document.createElement('button');
    this._connectionNode.type = 'button';
    this._connectionNode.className = 'jp-LittleWings-connection';
    this._connectionNode.addEventListener('click', () =>
      this.connection.socket.retryNow()
    );

    header.append(this._stateSlot, title, this._statsNode, power);
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
      header.appendChild(button);
    }
    header.appendChild(this._connectionNode);
    this.node.appendChild(header);
  }

  protected _fit(): void {
    if (this._currentShell) {
      this._currentShell.fit();
    } else {
      this._logView.fit();
    }
  }

  /** The terminal size a new shell gets: what the log view shows now (its tab is that big). */
  private _terminalSize(): { rows: number; cols: number } {
    const current = this._currentShell;
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

  private _buildTabs(): void {
    const bar = document.createElement('div');
    bar.className = 'jp-LittleWings-tabBar';
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
    this._newShellButton.addEventListener('click', () => this.openShell());
    const more = iconButton(
      'down',
      'Open a shell with another command or user…'
    );
    more.classList.add('jp-LittleWings-shellOptions');
    more.addEventListener('click', () => this._toggleShellForm());
    this._tabList.append(this._logsTab, this._newShellButton, more);

    // Portainer-style: the command and the user of a new shell.
    this._shellForm = document.createElement('form');
    this._shellForm.className = 'jp-LittleWings-shellForm';
    this._shellForm.hidden = true;
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
    this._shellForm.append(command, user, open);
    this._shellForm.addEventListener('submit', event => {
      event.preventDefault();
      const argv = splitCommand(command.value);
      this._shellForm.hidden = true;
      this.openShell({
        command: argv.length ? argv : undefined,
        user: user.value.trim() || undefined
      });
    });
    this._shellForm.addEventListener('keydown', event => {
      event.stopPropagation();
      if (event.key === 'Escape') {
        this._shellForm.hidden = true;
      }
    });
    bar.append(this._tabList, this._shellForm);
    this.node.appendChild(bar);
    this._renderTabs();
  }

  private _toggleShellForm(): void {
    this._shellForm.hidden = !this._shellForm.hidden;
    if (!this._shellForm.hidden) {
      (
        this._shellForm.elements.namedItem('command') as HTMLInputElement
      ).focus();
    }
  }

  private _renderTabs(): void {
    const logs = this._currentShell === null;
    this._logsTab.classList.toggle('jp-mod-current', logs);
    this._logsTab.setAttribute('aria-selected', String(logs));
    for (const [view, tab] of this._shellTabs) {
      const current = view === this._currentShell;
      tab.classList.toggle('jp-mod-current', current);
      tab.setAttribute('aria-selected', String(current));
    }
    // Shells need write, and the server's shell_enabled; the server says so if not.
    const hello = this.connection.socket.hello;
    const limits = (hello?.limits ?? {}) as { shell_enabled?: boolean };
    const canWrite = this.connection.permissions?.write !== false;
    const running =
      (this.connection.container?.state ?? 'running') === 'running';
    this._newShellButton.disabled = this._missing;
    this._newShellButton.title = this._missing
      ? 'There is no such container (any more)'
      : !canWrite
        ? 'Shells need write access (you may only watch); the server will refuse'
        : limits.shell_enabled === false
          ? 'Shells are disabled on this server (shell_enabled)'
          : !running
            ? 'The container is not running: start it to open a shell'
            : 'Open a shell in the container (docker exec -it)';
  }

  private _buildToolbar(): void {
    const toolbar = logToolbar({
      find: direction => this._find(direction),
      view: this._logView,
      escaped: () => this._commandInput.focus(),
      toggleHistory: term => this._historySearch.toggle(term),
      timestamps: this._timestamps,
      setTimestamps: on => this.setTimestamps(on),
      clear: () => this.clear(),
      setLineOptions: options => this.setLineOptions(options),
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
    this._searchInput = toolbar.searchInput;
    this._searchCount = toolbar.searchCount;
    this._timestampsButton = toolbar.timestampsButton;
    this._logsPane.appendChild(toolbar.node);
    this._logsPane.appendChild(this._historySearch.node);
  }

  private _buildLogArea(): void {
    const area = document.createElement('div');
    area.className = 'jp-LittleWings-logArea';
    area.appendChild(this._logView.node);

    this._jumpButton = document.createElement('button');
    this._jumpButton.type = 'button';
    this._jumpButton.className = 'jp-LittleWings-jump';
    this._jumpButton.hidden = true;
    this._jumpButton.append(
      iconNode('follow'),
      document.createTextNode('Follow')
    );
    this._jumpButton.title = 'Scroll to the newest line and follow the output';
    this._jumpButton.addEventListener('click', () =>
      this._logView.scrollToBottom()
    );

    this._overlay = document.createElement('div');
    this._overlay.className = 'jp-LittleWings-overlay';
    this._overlay.hidden = true;

    area.append(this._jumpButton, this._historySearch.jumpNode, this._overlay);
    this._logsPane.appendChild(area);
  }

  private _buildCommandBar(): void {
    const form = document.createElement('form');
    form.className = 'jp-LittleWings-commandBar';
    form.addEventListener('submit', event => {
      event.preventDefault();
      this._submit();
    });
    const prompt = document.createElement('span');
    prompt.className = 'jp-LittleWings-prompt';
    prompt.textContent = '❯';
    prompt.setAttribute('aria-hidden', 'true');

    this._commandInput = document.createElement('input');
    this._commandInput.type = 'text';
    this._commandInput.className = 'jp-LittleWings-commandInput';
    this._commandInput.autocomplete = 'off';
    this._commandInput.spellcheck = false;
    this._commandInput.setAttribute('aria-label', 'Command');
    this._commandInput.addEventListener('keydown', event =>
      this._onCommandKey(event)
    );

    this._viaSelect = document.createElement('select');
    this._viaSelect.className = 'jp-LittleWings-via';
    this._viaSelect.setAttribute('aria-label', 'Send the command to');
    for (const [value, label] of [
      ['stdin', 'stdin'],
      ['exec', 'exec']
    ]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      this._viaSelect.appendChild(option);
    }
    this._viaSelect.addEventListener('change', () => {
      this._viaChosen = true;
      this._renderCommandBar();
    });

    this._sendButton = iconButton('send', 'Run (Enter)');
    this._sendButton.type = 'submit';
    this._sendButton.classList.add('jp-LittleWings-send');

    // While exec commands run: how many, and Stop (the newest; Ctrl-C in the box too).
    this._runningNode = document.createElement('span');
    this._runningNode.className = 'jp-LittleWings-running';
    this._runningNode.setAttribute('role', 'status');
    this._stopButton = iconButton('stop', 'Stop the command (Ctrl-C)');
    this._stopButton.type = 'button';
    this._stopButton.classList.add('jp-LittleWings-stopCommand');
    this._stopButton.addEventListener('click', () => this._stopNewest());

    form.append(
      prompt,
      this._commandInput,
      this._runningNode,
      this._stopButton,
      this._viaSelect,
      this._sendButton
    );
    this._logsPane.appendChild(form);
    this._renderCommandBar();
    this._renderRunning();
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

  /** Text of the console's own (command echoes and output, notices): kept, never filtered. */
  private _writeOwn(text: string): void {
    const line: ILogLine = { container: null, stream: 'stdout', text };
    this._buffer.push([line]);
    this._logView.writeRaw(text);
  }

  private _write(lines: readonly ILogLine[]): void {
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

  private _onHistoryEnd(): void {
    if (this._notice) {
      this._writeOwn(Private.notice(this._notice));
      this._notice = '';
    }
  }

  private _onConnected(): void {
    this._overlay.hidden = true;
    this._missing = false;
    if (this._wasConnected && this._lost) {
      this._notice = '── reconnected ──';
    }
    this._wasConnected = true;
    this._lost = false;
    if (!this._viaChosen) {
      this._viaSelect.value = this.connection.commandVia ?? 'exec';
    }
    this._renderHeader();
    this._renderCommandBar();
  }

  private _onContainer(
    sender: ConsoleConnection,
    container: IContainerSummary
  ): void {
    if (container.name) {
      this.title.label = Private.withEngine(
        container.name,
        this.connection.engine
      );
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

  private _onCommandEvent(
    sender: ConsoleConnection,
    event: CommandEvent
  ): void {
    const id = String(event.id ?? '');
    switch (event.type) {
      case 'command_started': {
        const text = event.command ?? this._sent.get(id) ?? '';
        this._writeOwn(
          `${PROMPT} \x1b[1m${text}\x1b[22m  \x1b[2m${event.via}\x1b[22m\r\n`
        );
        this._started.add(id);
        if (event.via === 'exec') {
          this._running.set(id, text);
          this._renderRunning();
        }
        break;
      }
      case 'command_output': {
        // Output arrives in arbitrary pieces: write whole lines only, so log lines arriving at
        // the same time do not cut through a line of the command's output.
        const key = `${id}:${event.stream}`;
        const buffered = (this._partial.get(key) ?? '') + event.data;
        const cut = buffered.lastIndexOf('\n');
        if (cut < 0) {
          this._partial.set(key, buffered);
        } else {
          this._partial.set(key, buffered.slice(cut + 1));
          this._writeOwn(
            Private.streamText(buffered.slice(0, cut + 1), event.stream)
          );
        }
        break;
      }
      case 'command_exit': {
        for (const stream of ['stdout', 'stderr'] as const) {
          const rest = this._partial.get(`${id}:${stream}`);
          if (rest) {
            this._writeOwn(Private.streamText(rest + '\n', stream));
          }
          this._partial.delete(`${id}:${stream}`);
        }
        const code = event.exit_code;
        const colour = code === 0 ? '\x1b[32m' : '\x1b[31m';
        const duration =
          event.duration_ms !== undefined
            ? ` · ${Private.ms(event.duration_ms)}`
            : '';
        // The exit line names its command: other output (logs, other commands) may stand
        // between them, or a Clear.
        const what = Private.shortCommand(
          this._running.get(id) ?? this._sent.get(id) ?? ''
        );
        const stopped = event.stopped ? ' \x1b[33m(stopped)\x1b[39m' : '';
        this._writeOwn(
          `\x1b[2m└ ${colour}exit ${code ?? '?'}\x1b[39m${stopped}${duration}${what ? ` · ${what}` : ''}\x1b[0m\r\n`
        );
        this._started.delete(id);
        this._sent.delete(id);
        this._running.delete(id);
        this._renderRunning();
        break;
      }
      case 'command_sent':
        this._started.delete(id);
        this._sent.delete(id);
        break;
      case 'error': {
        if (!this._started.has(id)) {
          const text = this._sent.get(id) ?? '';
          this._writeOwn(`${PROMPT} \x1b[1m${text}\x1b[22m\r\n`);
        }
        const retry = event.retry_after
          ? ` (retry in ${event.retry_after} s)`
          : '';
        this._writeOwn(`\x1b[31m└ ${event.message}${retry}\x1b[0m\r\n`);
        this._started.delete(id);
        this._sent.delete(id);
        this._running.delete(id);
        this._renderRunning();
        break;
      }
    }
    if (!this._logView.following) {
      this._logView.scrollToBottom();
    }
  }

  private _onError(sender: ConsoleConnection, error: IErrorMessage): void {
    if (error.code === 'not_found' || error.code === 'forbidden') {
      this._overlay.textContent = error.message;
      this._overlay.hidden = false;
      // (A console restored after a reload for a container removed meanwhile.)
      this._missing = error.code === 'not_found';
      this._renderCommandBar();
      this._renderTabs();
    } else {
      this._writeOwn(`\x1b[31m${error.message}\x1b[0m\r\n`);
    }
  }

  private _onReset(): void {
    this._buffer.clear();
    this._logView.clear();
  }

  private _onConnectionStatus(
    sender: ConsoleConnection,
    status: IConnectionStatus
  ): void {
    if (status.phase === 'waiting' && this._wasConnected && !this._lost) {
      this._lost = true;
      this._writeOwn(
        Private.notice(
          `── connection lost (${status.reason ?? 'closed'}), reconnecting… ──`
        )
      );
    }
    this._renderConnection(status);
    this._renderHeader();
    this._renderCommandBar();
  }

  private _onFollowing(sender: LogView, following: boolean): void {
    this._jumpButton.hidden = following;
  }

  // ---- user input -------------------------------------------------------------------------

  private _onCommandKey(event: KeyboardEvent): void {
    const input = this._commandInput;
    if (
      event.key === 'c' &&
      event.ctrlKey &&
      !event.metaKey &&
      !event.altKey &&
      input.selectionStart === input.selectionEnd &&
      this._running.size
    ) {
      // Ctrl-C with nothing selected (a selection is copied): stop the newest command.
      event.preventDefault();
      event.stopPropagation();
      this._stopNewest();
      return;
    }
    if (event.key === 'Enter' && !event.isComposing) {
      // Submit here rather than by the form's implicit submission: a host page (a notebook
      // whose output holds this console) may handle Enter on the way up and cancel it.
      event.preventDefault();
      event.stopPropagation();
      this._submit();
      return;
    }
    if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      if (!this._history.length) {
        return;
      }
      event.preventDefault();
      if (this._historyIndex === this._history.length) {
        this._draft = this._commandInput.value;
      }
      const step = event.key === 'ArrowUp' ? -1 : 1;
      this._historyIndex = Math.max(
        0,
        Math.min(this._history.length, this._historyIndex + step)
      );
      this._commandInput.value =
        this._historyIndex === this._history.length
          ? this._draft
          : this._history[this._historyIndex];
      const end = this._commandInput.value.length;
      this._commandInput.setSelectionRange(end, end);
    } else if (event.key === 'Escape') {
      this._commandInput.value = '';
      this._historyIndex = this._history.length;
    }
  }

  private _submit(): void {
    const text = this._commandInput.value;
    if (!text.trim() || this._commandInput.disabled) {
      return;
    }
    if (this._history[this._history.length - 1] !== text) {
      this._history.push(text);
      if (this._history.length > HISTORY_LIMIT) {
        this._history.splice(0, this._history.length - HISTORY_LIMIT);
      }
      Private.saveHistory(this._historyKey, this._history);
    }
    this._historyIndex = this._history.length;
    this._draft = '';
    this._commandInput.value = '';
    const via = this._viaSelect.value as CommandVia;
    const id = this.connection.runCommand(text, via);
    this._sent.set(id, text);
    this._logView.scrollToBottom();
  }

  // ---- rendering --------------------------------------------------------------------------

  private _renderHeader(): void {
    this._renderTabs();
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

  private _renderConnection(status: IConnectionStatus): void {
    const node = this._connectionNode;
    node.dataset.phase = status.phase;
    let text: string;
    let title: string;
    switch (status.phase) {
      case 'open':
        text = 'Live';
        title = 'Connected: new lines appear as the container writes them';
        break;
      case 'connecting':
        text = 'Connecting…';
        title = 'Connecting to the Jupyter server';
        break;
      case 'waiting': {
        const seconds = Math.max(
          1,
          Math.round(((status.retryAt ?? Date.now()) - Date.now()) / 1000)
        );
        text = 'Reconnecting…';
        title = `Disconnected (${status.reason ?? 'closed'}); next attempt in ${seconds} s. Click to retry now.`;
        break;
      }
      default:
        text = 'Closed';
        title = 'Not connected';
    }
    node.replaceChildren(Private.dot(), document.createTextNode(text));
    node.title = title;
    node.setAttribute('aria-label', `Connection: ${text}`);
    node.disabled = status.phase !== 'waiting';
  }

  /** Stop the newest running exec command. */
  private _stopNewest(): void {
    const ids = [...this._running.keys()];
    const id = ids[ids.length - 1];
    if (id !== undefined) {
      this.connection.stopCommand(id);
    }
  }

  /** The running mark and Stop, shown while exec commands run. */
  private _renderRunning(): void {
    const count = this._running.size;
    const texts = [...this._running.values()];
    this._runningNode.hidden = this._stopButton.hidden = count === 0;
    this._runningNode.textContent =
      count === 1 ? 'running' : count ? `${count} running` : '';
    this._runningNode.title = texts.join('\n');
    const newest = texts[texts.length - 1] ?? '';
    this._stopButton.title = `Stop ${Private.shortCommand(newest)} (Ctrl-C)`;
    this._stopButton.setAttribute('aria-label', this._stopButton.title);
  }

  private _renderCommandBar(): void {
    const canWrite = this.connection.permissions?.write !== false;
    const live = this.connection.isConnected;
    const stdinOpen = this.connection.commandVia === 'stdin';
    const stdinOption = this._viaSelect.options[0];
    stdinOption.disabled = !stdinOpen;
    if (!stdinOpen && this._viaSelect.value === 'stdin' && live) {
      this._viaSelect.value = 'exec';
    }
    const via = this._viaSelect.value;
    const name = this.connection.container?.name || this.connection.serverId;
    this._commandInput.disabled = !canWrite || this._missing;
    this._sendButton.disabled = !canWrite || !live || this._missing;
    this._viaSelect.disabled = !canWrite || this._missing;
    this._commandInput.placeholder = this._missing
      ? `There is no container ${name} (any more): nothing to send commands to`
      : !canWrite
        ? 'Read-only: you may watch but not send commands'
        : via === 'stdin'
          ? `Send a line to ${name}'s console (stdin) · ↑↓ history`
          : `Run a command in ${name} (exec) · ↑↓ history`;
    this._viaSelect.title =
      via === 'stdin'
        ? "stdin: the line goes to the container's main process; its answer shows in the logs"
        : 'exec: the command runs in the container with /bin/sh -c; its output and exit code show here';
  }

  private _logsPane!: HTMLDivElement;
  private _shellArea!: HTMLDivElement;
  private _tabList!: HTMLDivElement;
  private _logsTab!: HTMLDivElement;
  private _newShellButton!: HTMLButtonElement;
  /** The server said there is no such container (it was removed while the page was away). */
  private _missing = false;
  private _shellForm!: HTMLFormElement;
  private _shellViews: ShellView[] = [];
  private _shellTabs = new Map<ShellView, HTMLDivElement>();
  private _currentShell: ShellView | null = null;
  private _shellCounter = 0;
  private _shellLabels = new Map<ShellView, string>();
  private _shellsKey: string | null;
  private _downloadLogs: ContainerConsole.DownloadLogs | null;
  private _pin: ContainerConsole.IPinControl | null;
  private _historySearch: HistorySearchPanel;
  protected _formatter = new LineFormatter({
    raw: false,
    minLevel: null,
    timestamps: true
  });
  private _historyKey: string;
  private _history: string[];
  private _historyIndex = 0;
  private _draft = '';
  private _sent = new Map<string, string>();
  /** Exec commands running now: request id → text, oldest first. */
  private _running = new Map<string, string>();
  private _runningNode!: HTMLSpanElement;
  private _stopButton!: HTMLButtonElement;
  private _started = new Set<string>();
  private _partial = new Map<string, string>();
  private _busy = false;
  private _notice = '';
  private _viaChosen = false;
  private _tick = 0;
  private _powerButtons = new Map<PowerAction, HTMLButtonElement>();
  private _stateSlot!: HTMLSpanElement;
  private _nameNode!: HTMLSpanElement;
  private _metaNode!: HTMLSpanElement;
  private _portsNode!: HTMLSpanElement;
  private _portsKey = '';
  private _portProxy: () => string | null;
  private _statsNode!: HTMLDivElement;
  private _cpu!: Sparkline;
  private _memory!: Sparkline;
  private _connectionNode!: HTMLButtonElement;
  private _jumpButton!: HTMLButtonElement;
  private _overlay!: HTMLDivElement;
  private _commandInput!: HTMLInputElement;
  private _viaSelect!: HTMLSelectElement;
  private _sendButton!: HTMLButtonElement;
}

export namespace ContainerConsole {
  /** What `openShell` may be told. */
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

namespace Private {
  /** A dimmed notice line, e.g. "reconnected". */
  export function notice(text: string): string {
    return `\x1b[2m${text}\x1b[0m\r\n`;
  }

  /** A command's output, stderr in red. */
  export function streamText(
    data: string,
    stream: 'stdout' | 'stderr'
  ): string {
    return stream === 'stderr'
      ? data.replace(/^(.+)$/gm, '\x1b[31m$1\x1b[0m')
      : data;
  }

  /** A tab label: the name, and the engine when it is not the default one. */
  export function withEngine(name: string, engine: string): string {
    return engine ? `${name} @ ${engine}` : name;
  }

  export function dot(): HTMLSpanElement {
    const span = document.createElement('span');
    span.className = 'jp-LittleWings-dot';
    return span;
  }

  /** A command as an exit line names it: its first line, cut at 40 characters. */
  export function shortCommand(text: string): string {
    const line = text.split('\n')[0];
    return line.length > 40 ? `${line.slice(0, 39)}…` : line;
  }

  export function ms(value: number): string {
    return value < 1000
      ? `${Math.round(value)} ms`
      : `${(value / 1000).toFixed(1)} s`;
  }

  export function loadHistory(key: string): string[] {
    try {
      const value = JSON.parse(window.localStorage.getItem(key) ?? '[]');
      return Array.isArray(value)
        ? value.filter(v => typeof v === 'string')
        : [];
    } catch {
      return [];
    }
  }

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

  export function saveHistory(key: string, history: string[]): void {
    try {
      window.localStorage.setItem(key, JSON.stringify(history));
    } catch {
      // Private browsing or a full storage: history then lasts as long as the tab.
    }
  }
}

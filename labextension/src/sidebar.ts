import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  IEngineStatus,
  LittleWingsAPIError,
  fetchContainers,
  fetchStatus,
  powerContainer
} from './api';
import {
  IConnectionStatus,
  IContainerSummary,
  IPermissions,
  LittleWingsSocket,
  PowerAction,
  ServerMessage,
  STATE_LABELS,
  actionAllowed,
  actionLabel,
  displayState,
  iconNode,
  IconName,
  searchBox,
  shortImage,
  stateNode,
  statusText
} from './console';

/** The rows of the list the keyboard moves through: containers and Compose group headers. */
const ROWS = '.jp-LittleWings-item, .jp-LittleWings-groupHeader';

/** Why the list cannot be shown. */
type Problem =
  | { kind: 'engine'; detail: string }
  | { kind: 'forbidden'; detail: string }
  | { kind: 'server'; detail: string }
  | null;

/**
 * The Containers sidebar: every visible container grouped by Compose project, live from Docker's
 * events, with a filter, inline power buttons and a context menu (added by the plugin).
 */
export class ContainersPanel extends Widget {
  constructor(options: ContainersPanel.IOptions) {
    super();
    this.addClass('jp-LittleWings-panel');
    this._socket = options.socket;
    this._onOpen = options.onOpen;
    this._onShell = options.onShell ?? null;
    this._onProjectLogs = options.onProjectLogs ?? null;
    this._onMergedLogs = options.onMergedLogs ?? null;

    const header = document.createElement('header');
    header.className = 'jp-LittleWings-panelHeader';
    const title = document.createElement('h2');
    title.className = 'jp-LittleWings-panelTitle';
    title.textContent = 'Containers';
    this._countNode = document.createElement('span');
    this._countNode.className = 'jp-LittleWings-panelCount';
    this._liveNode = document.createElement('span');
    this._liveNode.className = 'jp-LittleWings-liveBadge';
    const refresh = document.createElement('button');
    refresh.type = 'button';
    refresh.className = 'jp-LittleWings-button jp-LittleWings-refresh';
    refresh.title = 'Refresh the list';
    refresh.setAttribute('aria-label', 'Refresh the list');
    refresh.appendChild(iconNode('restart'));
    refresh.addEventListener('click', () => void this.refresh());
    header.append(title, this._countNode, this._liveNode);
    if (options.onCreate) {
      const create = document.createElement('button');
      create.type = 'button';
      create.className = 'jp-LittleWings-button jp-LittleWings-newContainer';
      create.title = 'New container…';
      create.setAttribute('aria-label', 'New container');
      create.appendChild(iconNode('plus'));
      const onCreate = options.onCreate;
      create.addEventListener('click', () => onCreate());
      header.appendChild(create);
    }
    header.appendChild(refresh);

    const { box: filterBox, input: filterInput } = searchBox({
      className: 'jp-LittleWings-filter',
      placeholder: 'Filter by name, image or project',
      label: 'Filter containers'
    });
    this._filterInput = filterInput;
    this._filterInput.addEventListener('input', () => this._render());
    this._filterInput.addEventListener('keydown', event => {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        this._focusItem(0);
      } else if (event.key === 'Escape' && this._filterInput.value) {
        event.preventDefault();
        this._filterInput.value = '';
        this._render();
      }
    });

    this._bannerNode = document.createElement('div');
    this._bannerNode.className = 'jp-LittleWings-banner';
    this._bannerNode.hidden = true;

    this._listNode = document.createElement('div');
    this._listNode.className = 'jp-LittleWings-list';
    this._listNode.setAttribute('role', 'tree');
    this._listNode.setAttribute('aria-label', 'Containers');
    this._listNode.setAttribute('aria-multiselectable', 'true');
    this._listNode.addEventListener('mousedown', event => {
      // Shift-click extends the selection: not a text selection.
      if (event.shiftKey) {
        event.preventDefault();
      }
    });
    this._listNode.addEventListener('click', event => this._onClick(event));
    this._listNode.addEventListener('dblclick', event =>
      this._onDoubleClick(event)
    );
    this._listNode.addEventListener('keydown', event => this._onKeyDown(event));
    this._listNode.addEventListener('contextmenu', event => {
      const item = (event.target as HTMLElement).closest<HTMLElement>(
        '.jp-LittleWings-item'
      );
      const group = (event.target as HTMLElement).closest<HTMLElement>(
        '.jp-LittleWings-groupRow'
      );
      this._contextId = item?.dataset.id ?? null;
      this._contextGroup = group?.dataset.group || null;
      // A right-click inside the selection keeps it (its menu acts on all of it).
      if (item && !this._selection.has(item.dataset.id!)) {
        this._select(item.dataset.id!);
      }
    });

    this._selectionBar = document.createElement('div');
    this._selectionBar.className = 'jp-LittleWings-selectionBar';
    this._selectionBar.hidden = true;
    this._selectionBar.setAttribute('role', 'status');

    this.node.append(
      header,
      filterBox,
      this._bannerNode,
      this._listNode,
      this._selectionBar
    );

    this._socket.opened.connect(this._onSocketOpened, this);
    this._socket.messageReceived.connect(this._onMessage, this);
    this._socket.statusChanged.connect(this._onSocketStatus, this);
    this._onSocketStatus(this._socket, this._socket.status);
    this._ticker = window.setInterval(() => this._render(), 30000);
  }

  /** Emitted when the list or a container changes (commands re-check their enabled state). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get permissions(): IPermissions {
    return this._status?.permissions ?? { read: true, write: true };
  }

  /** All containers, as last known. */
  get containers(): IContainerSummary[] {
    return [...this._containers.values()];
  }

  /** The container the context menu was opened on, or the selected one. */
  get currentContainer(): IContainerSummary | null {
    const id = this._contextId ?? this._selectedId;
    return id ? (this._containers.get(id) ?? null) : null;
  }

  /** The selected containers (Ctrl/Cmd-click, Shift-click, Shift+arrows), in list order. */
  get selectedContainers(): IContainerSummary[] {
    return this._ordered().filter(c => this._selection.has(c.id));
  }

  /** The Compose project whose header the context menu was opened on. */
  get currentProject(): string | null {
    return this._contextGroup;
  }

  /** Select the containers with these ids (or names) and nothing else. */
  selectContainers(ids: string[]): void {
    this._selection = new Set(
      ids
        .map(id => this.find(id)?.id)
        .filter((id): id is string => id !== undefined)
    );
    this._selectedId = [...this._selection].pop() ?? null;
    this._anchorId = this._selectedId;
    this._renderSelection();
  }

  /** Find a container by id, id prefix or name. */
  find(idOrName: string): IContainerSummary | null {
    for (const c of this._containers.values()) {
      if (
        c.id === idOrName ||
        c.name === idOrName ||
        c.id.startsWith(idOrName)
      ) {
        return c;
      }
    }
    return null;
  }

  /** Whether an action is in flight for this container. */
  isBusy(id: string): boolean {
    return this._busy.has(id);
  }

  /** Load the status and the list from the server. */
  async refresh(): Promise<void> {
    const serial = ++this._refreshSerial;
    this.node.classList.add('jp-mod-loading');
    try {
      const status = await fetchStatus();
      if (serial !== this._refreshSerial) {
        return;
      }
      this._status = status;
      if (!status.permissions.read) {
        this._problem = {
          kind: 'forbidden',
          detail: 'You are not allowed to see containers on this server.'
        };
        this._containers.clear();
      } else if (!status.available) {
        this._problem = { kind: 'engine', detail: status.error || '' };
        this._containers.clear();
      } else {
        const list = await fetchContainers();
        if (serial !== this._refreshSerial) {
          return;
        }
        this._problem = null;
        const now = Date.now();
        this._containers = new Map(
          list.map(c => [c.id, { ...c, listed_at: now }])
        );
      }
    } catch (error) {
      if (serial !== this._refreshSerial) {
        return;
      }
      this._problem = Private.problemOf(error);
      this._containers.clear();
    } finally {
      if (serial === this._refreshSerial) {
        this._loaded = true;
        this.node.classList.remove('jp-mod-loading');
        // Refused: the events socket would be refused as well, so it waits for a Retry that
        // is let in instead of knocking every few seconds.
        if (this._problem?.kind === 'forbidden') {
          this._socket.stop();
        } else if (this.isAttached && this._socket.status.phase === 'closed') {
          this._socket.start();
        }
        this._render();
        this._scheduleRetry();
      }
    }
  }

  /** Ask for a power action over HTTP; errors go to `onError`. */
  async power(
    container: IContainerSummary,
    action: PowerAction
  ): Promise<void> {
    this._busy.add(container.id);
    this._render();
    try {
      const reply = (await powerContainer(container.id, action)) as {
        state?: string;
        container?: IContainerSummary;
      } | null;
      const known = this._containers.get(container.id);
      if (known && reply?.state) {
        // The reply carries the detailed summary: keep the listed fields it lacks.
        this._containers.set(container.id, {
          ...known,
          ...(reply.container ?? {}),
          state: reply.state
        });
      }
    } finally {
      this._busy.delete(container.id);
      this._render();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearInterval(this._ticker);
    window.clearTimeout(this._retryTimer);
    this._socket.opened.disconnect(this._onSocketOpened, this);
    this._socket.messageReceived.disconnect(this._onMessage, this);
    this._socket.statusChanged.disconnect(this._onSocketStatus, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._socket.start();
    if (!this._loaded) {
      void this.refresh();
    }
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this._filterInput.focus();
  }

  // ---- live updates -----------------------------------------------------------------------

  private _onSocketOpened(): void {
    this._socket.send({ type: 'events', enabled: true });
    // Anything that happened while the socket was down is not replayed: load the list again.
    void this.refresh();
  }

  private _onSocketStatus(
    sender: LittleWingsSocket,
    status: IConnectionStatus
  ): void {
    this._liveNode.dataset.phase = status.phase;
    this._liveNode.title =
      status.phase === 'open'
        ? 'Live: changes appear as Docker reports them'
        : status.phase === 'waiting'
          ? `Not live (${status.reason ?? 'disconnected'}); reconnecting…`
          : 'Connecting…';
    this._liveNode.textContent = status.phase === 'open' ? 'Live' : 'Offline';
  }

  private _onMessage(sender: LittleWingsSocket, message: ServerMessage): void {
    if (message.type === 'container_event') {
      const c = message.container;
      if (!c || !c.id) {
        return;
      }
      if (message.event === 'removed' || message.event === 'destroy') {
        this._containers.delete(c.id);
      } else {
        const known = this._containers.get(c.id);
        this._containers.set(c.id, { ...known, ...c });
      }
      this._render();
    } else if (message.type === 'status') {
      if (
        message.event === 'engine_available' ||
        message.event === 'engine_unavailable'
      ) {
        void this.refresh();
      }
    } else if (
      message.type === 'error' &&
      message.code === 'engine_unavailable'
    ) {
      void this.refresh();
    } else if (message.type === 'containers') {
      this._containers = new Map(message.containers.map(c => [c.id, c]));
      this._render();
    }
  }

  private _scheduleRetry(): void {
    window.clearTimeout(this._retryTimer);
    // No engine (or no server extension yet): look again now and then, the user may fix it.
    if (this._problem && this._problem.kind !== 'forbidden') {
      this._retryTimer = window.setTimeout(() => void this.refresh(), 5000);
    }
  }

  // ---- user input -------------------------------------------------------------------------

  private _onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const button = target.closest<HTMLButtonElement>('button[data-action]');
    const group = target.closest<HTMLElement>('.jp-LittleWings-groupHeader');
    const item = target.closest<HTMLElement>('.jp-LittleWings-item');
    if (button?.dataset.action === 'project-logs') {
      event.stopPropagation();
      this._onProjectLogs?.(button.dataset.group!);
      return;
    }
    if (button && item) {
      event.stopPropagation();
      const c = this._containers.get(item.dataset.id!);
      if (!c) {
        return;
      }
      const action = button.dataset.action!;
      if (action === 'console') {
        this._onOpen(c);
      } else if (action === 'shell') {
        this._onShell?.(c);
      } else {
        void this.power(c, action as PowerAction).catch(error =>
          this._showActionError(c, action as PowerAction, error)
        );
      }
      return;
    }
    if (group) {
      const key = group.dataset.group!;
      if (this._collapsed.has(key)) {
        this._collapsed.delete(key);
      } else {
        this._collapsed.add(key);
      }
      this._render();
      return;
    }
    if (item) {
      this._select(
        item.dataset.id!,
        event.ctrlKey || event.metaKey
          ? 'toggle'
          : event.shiftKey
            ? 'range'
            : 'only'
      );
    }
  }

  private _onDoubleClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    if (target.closest('button')) {
      return;
    }
    const item = target.closest<HTMLElement>('.jp-LittleWings-item');
    const c = item && this._containers.get(item.dataset.id!);
    if (c) {
      this._onOpen(c);
    }
  }

  private _onKeyDown(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    const rows = [...this._listNode.querySelectorAll<HTMLElement>(ROWS)];
    const row = target.closest<HTMLElement>(ROWS);
    if (!row || target.closest('button:not(.jp-LittleWings-groupHeader)')) {
      return;
    }
    const index = rows.indexOf(row);
    const accel = event.ctrlKey || event.metaKey;
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        event.preventDefault();
        if (event.key === 'ArrowUp' && index === 0 && !event.shiftKey) {
          this._filterInput.focus();
          break;
        }
        const next =
          rows[
            event.key === 'ArrowDown'
              ? Math.min(rows.length - 1, index + 1)
              : Math.max(0, index - 1)
          ];
        next?.focus();
        // Shift+arrows extend the selection over the rows passed.
        if (event.shiftKey && next?.dataset.id) {
          if (!this._anchorId && row.dataset.id) {
            this._anchorId = row.dataset.id;
          }
          this._select(next.dataset.id, 'range');
        }
        break;
      }
      case 'a':
      case 'A':
        if (accel) {
          event.preventDefault();
          this._selection = new Set(
            rows.map(r => r.dataset.id).filter((id): id is string => !!id)
          );
          this._renderSelection();
        }
        break;
      case 'Escape':
        if (this._selection.size > 1) {
          event.preventDefault();
          this._select(row.dataset.id ?? this._selectedId ?? '', 'only');
        }
        break;
      case ' ':
        // Ctrl/Cmd+Space adds the row to the selection or takes it out.
        if (accel && row.dataset.id) {
          event.preventDefault();
          this._select(row.dataset.id, 'toggle');
          break;
        }
      // falls through
      case 'Enter':
        if (row.classList.contains('jp-LittleWings-item')) {
          event.preventDefault();
          const c = this._containers.get(row.dataset.id!);
          if (c) {
            this._onOpen(c);
          }
        }
        break;
      default:
        break;
    }
  }

  /**
   * Select a row: only it, toggled in or out of the selection (Ctrl/Cmd), or the rows from the
   * anchor to it (Shift).
   */
  private _select(
    id: string,
    mode: 'only' | 'toggle' | 'range' = 'only'
  ): void {
    if (!id) {
      return;
    }
    if (mode === 'toggle') {
      if (this._selection.has(id)) {
        this._selection.delete(id);
      } else {
        this._selection.add(id);
      }
      this._anchorId = id;
    } else if (mode === 'range' && this._anchorId) {
      const ids = [
        ...this._listNode.querySelectorAll<HTMLElement>('.jp-LittleWings-item')
      ].map(node => node.dataset.id!);
      const from = ids.indexOf(this._anchorId);
      const to = ids.indexOf(id);
      this._selection = new Set(
        from < 0 || to < 0
          ? [id]
          : ids.slice(Math.min(from, to), Math.max(from, to) + 1)
      );
    } else {
      this._selection = new Set([id]);
      this._anchorId = id;
    }
    this._selectedId = id;
    this._renderSelection();
  }

  private _renderSelection(): void {
    for (const node of this._listNode.querySelectorAll<HTMLElement>(
      '.jp-LittleWings-item'
    )) {
      const selected = this._selection.has(node.dataset.id!);
      node.classList.toggle('jp-mod-selected', selected);
      node.setAttribute('aria-selected', String(selected));
    }
    this._renderSelectionBar();
    this._changed.emit();
  }

  /** With several containers selected: how many, and a button for their merged logs. */
  private _renderSelectionBar(): void {
    const selected = this.selectedContainers;
    const bar = this._selectionBar;
    bar.hidden = selected.length < 2;
    if (bar.hidden) {
      bar.replaceChildren();
      return;
    }
    const count = document.createElement('span');
    count.className = 'jp-LittleWings-selectionCount';
    count.textContent = `${selected.length} selected`;
    const children: HTMLElement[] = [count];
    if (this._onMergedLogs) {
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'jp-LittleWings-button jp-LittleWings-openSelected';
      open.title = 'Their logs in one view, interleaved in time';
      open.append(iconNode('merged'), document.createTextNode('Open logs'));
      const onMergedLogs = this._onMergedLogs;
      open.addEventListener('click', () => onMergedLogs(selected));
      children.push(open);
    }
    const clear = document.createElement('button');
    clear.type = 'button';
    clear.className = 'jp-LittleWings-button jp-LittleWings-clearSelection';
    clear.title = 'Clear the selection (Escape)';
    clear.setAttribute('aria-label', 'Clear the selection');
    clear.appendChild(iconNode('close'));
    clear.addEventListener('click', () =>
      this._select(this._selectedId ?? '', 'only')
    );
    children.push(clear);
    bar.replaceChildren(...children);
  }

  /** The containers in the order the list shows them (projects, then names). */
  private _ordered(): IContainerSummary[] {
    return [...this._containers.values()].sort(
      (a, b) =>
        Private.projectOrder(
          a.compose_project || '',
          b.compose_project || ''
        ) || a.name.localeCompare(b.name)
    );
  }

  /** Focus a row of the list (group headers count: ArrowUp from the first row comes back). */
  private _focusItem(index: number): void {
    this._listNode.querySelectorAll<HTMLElement>(ROWS)[index]?.focus();
  }

  private _showActionError(
    c: IContainerSummary,
    action: PowerAction,
    error: unknown
  ): void {
    const message = error instanceof Error ? error.message : String(error);
    this._bannerNode.hidden = false;
    this._bannerNode.dataset.kind = 'error';
    this._bannerNode.replaceChildren(
      Private.text('strong', `${actionLabel(action)} ${c.name} failed`),
      Private.text('span', message)
    );
    window.setTimeout(() => {
      if (this._bannerNode.dataset.kind === 'error') {
        this._render();
      }
    }, 8000);
  }

  // ---- rendering --------------------------------------------------------------------------

  private _render(): void {
    // The list is rebuilt: remember which row has the keyboard focus, to give it back.
    const active = (
      document.activeElement as HTMLElement | null
    )?.closest<HTMLElement>(ROWS);
    const focusedRow =
      active && this._listNode.contains(active) ? active : undefined;
    const focusedId = focusedRow?.dataset.id;
    const focusedGroup = focusedRow?.dataset.group;
    this._renderBanner();
    // No permission: nothing to filter and no live updates to come, so neither is shown.
    this.node.classList.toggle(
      'jp-mod-forbidden',
      this._problem?.kind === 'forbidden'
    );

    const all = [...this._containers.values()];
    for (const id of this._selection) {
      if (!this._containers.has(id)) {
        this._selection.delete(id);
      }
    }
    this._renderSelectionBar();
    const running = all.filter(c => c.state === 'running').length;
    this._countNode.textContent = all.length
      ? `${running}/${all.length} running`
      : '';

    const list = this._listNode;
    list.replaceChildren();
    if (this._problem) {
      list.appendChild(this._problemNode(this._problem));
      this._changed.emit();
      return;
    }
    if (!this._loaded) {
      list.appendChild(Private.empty('Loading containers…', ''));
      return;
    }
    if (!all.length) {
      list.appendChild(
        Private.empty(
          'No containers',
          'Containers appear here as soon as Docker creates them, e.g. with docker run -d --name web nginx.'
        )
      );
      this._changed.emit();
      return;
    }
    const term = this._filterInput.value.trim().toLowerCase();
    const shown = term ? all.filter(c => Private.matches(c, term)) : all;
    if (!shown.length) {
      list.appendChild(
        Private.empty(
          `No container matches “${this._filterInput.value.trim()}”`,
          ''
        )
      );
      this._changed.emit();
      return;
    }

    const groups = new Map<string, IContainerSummary[]>();
    for (const c of shown) {
      const key = c.compose_project || '';
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const keys = [...groups.keys()].sort(Private.projectOrder);
    const grouped = keys.some(k => k !== '');
    const now = Date.now();
    for (const key of keys) {
      const members = groups
        .get(key)!
        .sort((a, b) => a.name.localeCompare(b.name));
      if (grouped) {
        list.appendChild(this._groupNode(key, members));
        if (this._collapsed.has(key)) {
          continue;
        }
      }
      for (const c of members) {
        list.appendChild(this._itemNode(c, now, grouped));
      }
    }
    if (focusedId) {
      list
        .querySelector<HTMLElement>(
          `.jp-LittleWings-item[data-id="${CSS.escape(focusedId)}"]`
        )
        ?.focus();
    } else if (focusedGroup !== undefined) {
      list
        .querySelector<HTMLElement>(
          `.jp-LittleWings-groupHeader[data-group="${CSS.escape(focusedGroup)}"]`
        )
        ?.focus();
    }
    this._changed.emit();
  }

  private _renderBanner(): void {
    const banner = this._bannerNode;
    if (!this._problem && this._status && !this._status.permissions.write) {
      banner.hidden = false;
      banner.dataset.kind = 'info';
      banner.replaceChildren(
        Private.text('strong', 'Read-only'),
        Private.text(
          'span',
          'You can watch containers and their logs, but not start, stop or send commands.'
        )
      );
    } else {
      banner.hidden = true;
      delete banner.dataset.kind;
      banner.replaceChildren();
    }
  }

  private _groupNode(key: string, members: IContainerSummary[]): HTMLElement {
    const collapsed = this._collapsed.has(key);
    const header = document.createElement('button');
    header.type = 'button';
    header.className = 'jp-LittleWings-groupHeader';
    header.dataset.group = key;
    header.setAttribute('role', 'treeitem');
    header.setAttribute('aria-expanded', String(!collapsed));
    const caret = iconNode('down', 'jp-LittleWings-icon jp-LittleWings-caret');
    const name = document.createElement('span');
    name.className = 'jp-LittleWings-groupName';
    name.textContent = key || 'Other containers';
    const count = document.createElement('span');
    count.className = 'jp-LittleWings-groupCount';
    const running = members.filter(c => c.state === 'running').length;
    count.textContent = `${running}/${members.length}`;
    count.title = `${running} of ${members.length} running`;
    header.append(caret, name, count);
    const row = document.createElement('div');
    row.className = 'jp-LittleWings-groupRow';
    row.dataset.group = key;
    row.appendChild(header);
    if (key) {
      header.title = `Compose project ${key}`;
      if (this._onProjectLogs) {
        const logs = document.createElement('button');
        logs.type = 'button';
        logs.className = 'jp-LittleWings-button jp-LittleWings-projectLogs';
        logs.dataset.action = 'project-logs';
        logs.dataset.group = key;
        logs.title = `Open project logs: every container of ${key}, merged`;
        logs.setAttribute('aria-label', `Open project logs of ${key}`);
        logs.tabIndex = -1;
        logs.appendChild(iconNode('merged'));
        row.appendChild(logs);
      }
    }
    return row;
  }

  private _itemNode(
    c: IContainerSummary,
    now: number,
    indented: boolean
  ): HTMLElement {
    const state = displayState(c);
    const busy = this._busy.has(c.id);
    const canWrite = this.permissions.write;
    const item = document.createElement('div');
    item.className = 'jp-LittleWings-item';
    item.classList.toggle('jp-mod-indented', indented);
    item.classList.toggle('jp-mod-selected', this._selection.has(c.id));
    item.classList.toggle('jp-mod-busy', busy);
    item.dataset.id = c.id;
    item.dataset.name = c.name;
    item.dataset.state = c.state ?? 'unknown';
    item.tabIndex = 0;
    item.setAttribute('role', 'treeitem');
    item.setAttribute('aria-selected', String(this._selection.has(c.id)));
    item.title = [
      c.name,
      c.image ? `Image: ${c.image}` : '',
      `State: ${STATE_LABELS[state]}`,
      c.status ? `Status: ${c.status}` : '',
      c.compose_project
        ? `Compose: ${c.compose_project} / ${c.compose_service ?? ''}`
        : '',
      `ID: ${c.id.slice(0, 12)}`,
      '',
      'Double-click or Enter: open the console',
      'Ctrl/Cmd-click or Shift-click: select several'
    ]
      .filter((line, i, lines) => line !== '' || i === lines.length - 2)
      .join('\n');

    const main = document.createElement('div');
    main.className = 'jp-LittleWings-itemMain';
    const name = document.createElement('span');
    name.className = 'jp-LittleWings-itemName';
    name.textContent = c.name;
    const detail = document.createElement('span');
    detail.className = 'jp-LittleWings-itemDetail';
    const image = document.createElement('span');
    image.className = 'jp-LittleWings-itemImage';
    image.textContent = shortImage(c.image);
    const status = document.createElement('span');
    status.className = 'jp-LittleWings-itemStatus';
    status.dataset.state = state;
    status.textContent = statusText(c, now);
    detail.append(image, status);
    main.append(name, detail);

    const actions = document.createElement('div');
    actions.className = 'jp-LittleWings-itemActions';
    const running =
      c.state === 'running' || c.state === 'restarting' || c.state === 'paused';
    const buttons: [string, IconName, string, boolean][] = [
      ['console', 'console', 'Open console', true],
      ...(this._onShell && c.state === 'running' && canWrite
        ? [
            ['shell', 'shell', 'Open a shell', !busy] as [
              string,
              IconName,
              string,
              boolean
            ]
          ]
        : []),
      running
        ? [
            'stop',
            'stop',
            'Stop',
            canWrite && !busy && actionAllowed('stop', c.state)
          ]
        : [
            'start',
            'start',
            'Start',
            canWrite && !busy && actionAllowed('start', c.state)
          ],
      [
        'restart',
        'restart',
        'Restart',
        canWrite && !busy && actionAllowed('restart', c.state)
      ]
    ];
    for (const [action, icon, label, enabled] of buttons) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `jp-LittleWings-button jp-LittleWings-action-${action}`;
      button.dataset.action = action;
      button.title = `${label} ${c.name}`;
      button.setAttribute('aria-label', `${label} ${c.name}`);
      button.disabled = !enabled;
      button.tabIndex = -1;
      button.appendChild(iconNode(icon));
      actions.appendChild(button);
    }

    item.append(
      stateNode(
        busy ? 'restarting' : state,
        busy ? 'Working…' : STATE_LABELS[state]
      ),
      main,
      actions
    );
    return item;
  }

  private _problemNode(problem: NonNullable<Problem>): HTMLElement {
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-problem';
    node.dataset.kind = problem.kind;
    const title = document.createElement('h3');
    const body = document.createElement('div');
    body.className = 'jp-LittleWings-problemBody';
    if (problem.kind === 'engine') {
      title.textContent = 'No Docker engine reachable';
      body.append(
        Private.text(
          'p',
          'The Jupyter server cannot talk to Docker. To fix it:'
        ),
        Private.list([
          'start the Docker engine (e.g. sudo systemctl start docker);',
          'check DOCKER_HOST in the environment of the Jupyter server;',
          'make sure the user running Jupyter may use the Docker socket (the docker group).'
        ])
      );
      if (problem.detail) {
        body.appendChild(Private.text('p', problem.detail)).className =
          'jp-LittleWings-problemDetail';
      }
      body.appendChild(Private.text('p', 'This list retries by itself.'));
    } else if (problem.kind === 'forbidden') {
      title.textContent = 'No permission';
      body.appendChild(Private.text('p', problem.detail));
    } else {
      title.textContent = 'LittleWings is not reachable';
      body.append(
        Private.text('p', problem.detail),
        Private.text(
          'p',
          'Check that the littlewings_jupyter server extension is installed and enabled (jupyter server extension list).'
        )
      );
    }
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'jp-LittleWings-retry jp-mod-styled jp-mod-accept';
    retry.textContent = 'Retry';
    retry.addEventListener('click', () => void this.refresh());
    node.append(title, body, retry);
    return node;
  }

  private _socket: LittleWingsSocket;
  private _onOpen: (c: IContainerSummary) => void;
  private _onShell: ((c: IContainerSummary) => void) | null;
  private _containers = new Map<string, IContainerSummary>();
  private _status: IEngineStatus | null = null;
  private _problem: Problem = null;
  private _loaded = false;
  private _refreshSerial = 0;
  private _selectedId: string | null = null;
  private _selection = new Set<string>();
  private _anchorId: string | null = null;
  private _contextId: string | null = null;
  private _contextGroup: string | null = null;
  private _onProjectLogs: ((project: string) => void) | null;
  private _onMergedLogs: ((containers: IContainerSummary[]) => void) | null;
  private _selectionBar: HTMLDivElement;
  private _collapsed = new Set<string>();
  private _busy = new Set<string>();
  private _ticker = 0;
  private _retryTimer = 0;
  private _countNode: HTMLSpanElement;
  private _liveNode: HTMLSpanElement;
  private _filterInput: HTMLInputElement;
  private _bannerNode: HTMLDivElement;
  private _listNode: HTMLDivElement;
  private _changed = new Signal<this, void>(this);
}

export namespace ContainersPanel {
  export interface IOptions {
    /** A socket for Docker events (shared with nothing else). */
    socket: LittleWingsSocket;
    /** Open the console of a container. */
    onOpen: (container: IContainerSummary) => void;
    /** Ask for a new container (the header's "+" button). */
    onCreate?: () => void;
    /** Open a shell in a container (in its console). */
    onShell?: (container: IContainerSummary) => void;
    /** Open the merged logs of a Compose project (a button on its group header). */
    onProjectLogs?: (project: string) => void;
    /** Open the merged logs of the selected containers (the selection bar's button). */
    onMergedLogs?: (containers: IContainerSummary[]) => void;
  }
}

namespace Private {
  /** Projects by name, the containers of no project last. */
  export function projectOrder(a: string, b: string): number {
    return a === b ? 0 : a === '' ? 1 : b === '' ? -1 : a.localeCompare(b);
  }

  export function matches(c: IContainerSummary, term: string): boolean {
    return [
      c.name,
      c.image,
      c.compose_project,
      c.compose_service,
      c.id.slice(0, 12),
      c.state
    ]
      .filter(Boolean)
      .some(value => String(value).toLowerCase().includes(term));
  }

  export function text(tag: string, content: string): HTMLElement {
    const node = document.createElement(tag);
    node.textContent = content;
    return node;
  }

  export function list(items: string[]): HTMLElement {
    const ul = document.createElement('ul');
    for (const item of items) {
      ul.appendChild(text('li', item));
    }
    return ul;
  }

  export function empty(title: string, detail: string): HTMLElement {
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-empty';
    node.appendChild(text('p', title)).className = 'jp-LittleWings-emptyTitle';
    if (detail) {
      node.appendChild(text('p', detail)).className =
        'jp-LittleWings-emptyDetail';
    }
    return node;
  }

  export function problemOf(error: unknown): Problem {
    if (error instanceof LittleWingsAPIError) {
      if (error.status === 403) {
        return {
          kind: 'forbidden',
          detail: 'You are not allowed to see containers on this server.'
        };
      }
      if (error.status === 503 || error.code === 'engine_unavailable') {
        return { kind: 'engine', detail: error.message };
      }
      if (error.status === 404) {
        return {
          kind: 'server',
          detail: 'The server does not know api/littlewings (404).'
        };
      }
      return {
        kind: 'server',
        detail: `${error.message} (HTTP ${error.status})`
      };
    }
    if (error instanceof ServerConnection.NetworkError) {
      return { kind: 'server', detail: 'The Jupyter server does not answer.' };
    }
    return { kind: 'server', detail: String(error) };
  }
}

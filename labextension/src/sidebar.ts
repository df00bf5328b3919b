import { ISignal, Signal } from '@lumino/signaling';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  IContainerSummary,
  IConnectionStatus,
  PowerAction,
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
import {
  ListRow,
  ROW_HEIGHTS,
  VirtualList,
  buildRows,
  containerKey,
  matches,
  sortContainers
} from './containerlist';
import { ContainersModel } from './model';
import { IContainersModel } from './tokens';

/** The focusable part of a row: a container or a service, or a header's button. */
const FOCUSABLE =
  '.jp-LittleWings-item, .jp-LittleWings-service, .jp-LittleWings-groupHeader';

/** Whether the pointer can hover (else a row's buttons are always shown, as CSS does). */
const HOVER =
  typeof window === 'undefined' || !window.matchMedia
    ? true
    : !window.matchMedia('(hover: none)').matches;

/** A Compose project of an engine (the context menu's, or a header's). */
export interface IProjectRef {
  project: string;
  engine: string;
}

/**
 * The Containers sidebar: every visible container of every Docker engine, grouped by engine
 * (when there are several), then by Compose project, live from Docker's events, with a
 * filter, inline power buttons and a context menu (added by the plugin). The list is
 * virtualized: only the rows in view are in the DOM.
 */
export class ContainersPanel extends Widget {
  constructor(options: ContainersPanel.IOptions) {
    super();
    this.addClass('jp-LittleWings-panel');
    this._model = options.model;
    this._onOpen = options.onOpen;
    this._onShell = options.onShell ?? null;
    this._onProjectLogs = options.onProjectLogs ?? null;
    this._onMergedLogs = options.onMergedLogs ?? null;
    this._onServiceLogs = options.onServiceLogs ?? null;
    this._onCreate = options.onCreate ?? null;

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
    refresh.appendChild(Private.icon('restart'));
    refresh.addEventListener('click', () => void this._model.refresh());
    header.append(title, this._countNode, this._liveNode);
    if (this._onCreate) {
      const create = document.createElement('button');
      create.type = 'button';
      create.className = 'jp-LittleWings-button jp-LittleWings-newContainer';
      create.title = 'New container…';
      create.setAttribute('aria-label', 'New container');
      create.appendChild(Private.icon('plus'));
      const onCreate = this._onCreate;
      create.addEventListener('click', () => onCreate(''));
      header.appendChild(create);
    }
    header.appendChild(refresh);

    const { box: filterBox, input: filterInput } = searchBox({
      className: 'jp-LittleWings-filter',
      placeholder: 'Filter by name, image or project',
      label: 'Filter containers'
    });
    this._filterInput = filterInput;
    this._filterInput.addEventListener('input', () => {
      // A new filter shows its matches from the top.
      this._listNode.scrollTop = 0;
      this._scheduleRender();
    });
    this._filterInput.addEventListener('keydown', event => {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        this._render();
        // To the first match (a container or service), past the headers above it: Enter
        // there opens it, where on a header it would fold the group.
        const rows = this._list.rows;
        const first = rows.findIndex(
          r => r.kind === 'container' || r.kind === 'service'
        );
        this._focusIndex(first >= 0 ? first : this._nextFocusable(-1, 1));
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
    this._list = new VirtualList<ListRow>({
      node: this._listNode,
      heightOf: row => ROW_HEIGHTS[row.kind],
      render: row => this._rowNode(row),
      same: (a, b) => Private.sameRow(a, b),
      overscan: 10
    });
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
    // The row with the keyboard focus stays in the DOM when it scrolls out of view.
    this._listNode.addEventListener('focusin', event => {
      const key = Private.rowKeyOf(event.target as HTMLElement);
      this._list.pinned = key;
      this._focusKey = key;
      this._revealActions(event.target as HTMLElement);
    });
    this._listNode.addEventListener('focusout', event => {
      const next = event.relatedTarget as Node | null;
      if (!next || !this._listNode.contains(next)) {
        this._list.pinned = null;
        this._focusKey = null;
      }
    });
    this._listNode.addEventListener('mouseover', event => {
      const item = this._revealActions(event.target as HTMLElement);
      this._hoverKey = item?.dataset.key ?? null;
    });
    this._listNode.addEventListener('mouseleave', () => {
      this._hoverKey = null;
    });
    this._listNode.addEventListener('contextmenu', event => {
      const target = event.target as HTMLElement;
      const item = target.closest<HTMLElement>('.jp-LittleWings-item');
      const group = target.closest<HTMLElement>('.jp-LittleWings-groupRow');
      const engineRow = target.closest<HTMLElement>('[data-engine]');
      this._contextKey = item?.dataset.key ?? null;
      this._contextGroup = group?.dataset.group
        ? { project: group.dataset.group, engine: group.dataset.engine ?? '' }
        : null;
      this._contextEngine = engineRow?.dataset.engine ?? null;
      // A right-click inside the selection keeps it (its menu acts on all of it).
      if (item && !this._selection.has(item.dataset.key!)) {
        this._select(item.dataset.key!);
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

    this._model.changed.connect(this._onModelChanged, this);
    this._model.connectionChanged.connect(this._onConnection, this);
    this._onConnection(this._model, this._model.connection);
    // Uptimes ("Up 5 minutes") move on: every row is drawn again now and then.
    this._ticker = window.setInterval(() => this._render(true), 30000);
  }

  /** Emitted when the list or a container changes (commands re-check their enabled state). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The model this panel shows. */
  get model(): IContainersModel {
    return this._model;
  }

  /** The container the context menu was opened on, or the selected one. */
  get currentContainer(): IContainerSummary | null {
    const key = this._contextKey ?? this._selectedKey;
    return key ? (this._model.get(key) ?? null) : null;
  }

  /** The selected containers (Ctrl/Cmd-click, Shift-click, Shift+arrows), in list order. */
  get selectedContainers(): IContainerSummary[] {
    if (!this._selection.size) {
      return [];
    }
    const picked = [...this._selection]
      .map(key => this._model.get(key))
      .filter((c): c is IContainerSummary => !!c);
    return picked.length < 2
      ? picked
      : sortContainers(picked, this._model.engines);
  }

  /** The Compose project whose header the context menu was opened on. */
  get currentProject(): string | null {
    return this._contextGroup?.project ?? null;
  }

  /** The Compose project (and its engine) whose header the context menu was opened on. */
  get currentProjectRef(): IProjectRef | null {
    return this._contextGroup;
  }

  /** The engine of the row the context menu was opened on (null: none). */
  get currentEngine(): string | null {
    return this._contextEngine;
  }

  /** Select the containers with these ids (or names) and nothing else. */
  selectContainers(ids: string[]): void {
    this._selection = new Set(
      ids
        .map(id => this._model.find(id))
        .filter((c): c is IContainerSummary => c !== null)
        .map(c => containerKey(c))
    );
    this._selectedKey = [...this._selection].pop() ?? null;
    this._anchorKey = this._selectedKey;
    this._renderSelection();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearInterval(this._ticker);
    if (this._frame) {
      cancelAnimationFrame(this._frame);
    }
    this._list.dispose();
    this._model.changed.disconnect(this._onModelChanged, this);
    this._model.connectionChanged.disconnect(this._onConnection, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._model.start();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // Hidden, the list had no height: the rows in view are known only now.
    this._list.update();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this._filterInput.focus();
  }

  // ---- the model's changes -----------------------------------------------------------------

  private _onModelChanged(
    sender: IContainersModel,
    change: IContainersModel.Change
  ): void {
    this.node.classList.toggle('jp-mod-loading', this._model.loading);
    if (change === 'refreshed') {
      this._render();
    } else if (change === 'busy') {
      this._render(true);
    } else if (change === 'containers') {
      // A burst of events (a compose up, 5,000 creates) is drawn once per frame.
      this._scheduleRender();
    }
  }

  private _onConnection(sender: unknown, status: IConnectionStatus): void {
    this._liveNode.dataset.phase = status.phase;
    this._liveNode.title =
      status.phase === 'open'
        ? 'Live: changes appear as Docker reports them'
        : status.phase === 'waiting'
          ? `Not live (${status.reason ?? 'disconnected'}); reconnecting…`
          : 'Connecting…';
    this._liveNode.textContent = status.phase === 'open' ? 'Live' : 'Offline';
  }

  // ---- user input -------------------------------------------------------------------------

  private _onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const button = target.closest<HTMLButtonElement>('button[data-action]');
    const header = target.closest<HTMLElement>('.jp-LittleWings-groupHeader');
    const item = target.closest<HTMLElement>('.jp-LittleWings-item');
    const service = target.closest<HTMLElement>('.jp-LittleWings-service');
    const action = button?.dataset.action;
    if (action === 'project-logs') {
      event.stopPropagation();
      this._onProjectLogs?.(
        button!.dataset.group!,
        button!.dataset.engine ?? ''
      );
      return;
    }
    if (action === 'create') {
      event.stopPropagation();
      this._onCreate?.(this._requestEngine(button!.dataset.engine ?? ''));
      return;
    }
    if (action === 'service-logs' || (service && !button)) {
      event.stopPropagation();
      const node = service ?? button!;
      if (action === 'service-logs') {
        this._openService(node);
      } else {
        node.focus();
      }
      return;
    }
    if (button && item) {
      event.stopPropagation();
      const c = this._model.get(item.dataset.key!);
      if (!c) {
        return;
      }
      if (action === 'console') {
        this._onOpen(c);
      } else if (action === 'shell') {
        this._onShell?.(c);
      } else {
        void this._model
          .power(c, action as PowerAction)
          .catch(error =>
            this._showActionError(c, action as PowerAction, error)
          );
      }
      return;
    }
    if (header) {
      const key = Private.rowKeyOf(header);
      if (key) {
        if (this._collapsed.has(key)) {
          this._collapsed.delete(key);
        } else {
          this._collapsed.add(key);
        }
        this._render();
      }
      return;
    }
    if (item) {
      this._select(
        item.dataset.key!,
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
    const service = target.closest<HTMLElement>('.jp-LittleWings-service');
    if (service) {
      this._openService(service);
      return;
    }
    const item = target.closest<HTMLElement>('.jp-LittleWings-item');
    const c = item && this._model.get(item.dataset.key!);
    if (c) {
      this._onOpen(c);
    }
  }

  /** Give the container row around `target` its buttons (hovered or focused). */
  private _revealActions(target: HTMLElement): HTMLElement | null {
    const item = target.closest<HTMLElement>('.jp-LittleWings-item');
    if (item && !item.dataset.actions) {
      this._fillActions(item);
    }
    return item;
  }

  private _openService(node: HTMLElement): void {
    const name = node.dataset.service;
    if (name && this._onServiceLogs) {
      this._onServiceLogs(name, this._requestEngine(node.dataset.engine ?? ''));
    }
  }

  /** An engine's name as a request names it: '' for the default one. */
  private _requestEngine(name: string): string {
    return name && name !== this._model.defaultEngine ? name : '';
  }

  private _onKeyDown(event: KeyboardEvent): void {
    const target = event.target as HTMLElement;
    const focusable = target.closest<HTMLElement>(FOCUSABLE);
    if (
      !focusable ||
      target.closest('button:not(.jp-LittleWings-groupHeader)') ||
      !this._listNode.contains(focusable)
    ) {
      return;
    }
    const key = Private.rowKeyOf(focusable);
    const index = key ? this._list.indexOf(key) : -1;
    if (index < 0) {
      return;
    }
    const row = this._list.rows[index];
    const accel = event.ctrlKey || event.metaKey;
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        event.preventDefault();
        const step = event.key === 'ArrowDown' ? 1 : -1;
        const next = this._nextFocusable(index, step);
        if (next < 0) {
          if (step < 0 && !event.shiftKey) {
            this._filterInput.focus();
          }
          break;
        }
        this._focusIndex(next);
        // Shift+arrows extend the selection over the rows passed.
        const nextRow = this._list.rows[next];
        if (event.shiftKey && nextRow.kind === 'container') {
          if (!this._anchorKey && row.kind === 'container') {
            this._anchorKey = row.key;
          }
          this._select(nextRow.key, 'range');
        }
        break;
      }
      case 'Home':
      case 'End': {
        event.preventDefault();
        const at =
          event.key === 'Home'
            ? this._nextFocusable(-1, 1)
            : this._nextFocusable(this._list.rows.length, -1);
        this._focusIndex(at);
        break;
      }
      case 'a':
      case 'A':
        if (accel) {
          event.preventDefault();
          this._selection = new Set(
            this._list.rows.filter(r => r.kind === 'container').map(r => r.key)
          );
          this._renderSelection();
        }
        break;
      case 'Escape':
        if (this._selection.size > 1) {
          event.preventDefault();
          this._select(
            row.kind === 'container' ? row.key : (this._selectedKey ?? ''),
            'only'
          );
        }
        break;
      case ' ':
        // Ctrl/Cmd+Space adds the row to the selection or takes it out.
        if (accel && row.kind === 'container') {
          event.preventDefault();
          this._select(row.key, 'toggle');
          break;
        }
      // falls through
      case 'Enter':
        if (row.kind === 'container') {
          event.preventDefault();
          const c = this._model.get(row.key);
          if (c) {
            this._onOpen(c);
          }
        } else if (row.kind === 'service') {
          event.preventDefault();
          this._openService(focusable);
        }
        break;
      default:
        break;
    }
  }

  /** The index of the next row the keyboard stops at (notes are skipped); -1 at the end. */
  private _nextFocusable(from: number, step: 1 | -1): number {
    const rows = this._list.rows;
    for (let i = from + step; i >= 0 && i < rows.length; i += step) {
      if (rows[i].kind !== 'note') {
        return i;
      }
    }
    return -1;
  }

  /** Scroll a row into view and give it the keyboard focus. */
  private _focusIndex(index: number): void {
    const row = this._list.rows[index];
    if (!row) {
      return;
    }
    this._list.pinned = row.key;
    this._list.scrollToIndex(index);
    const node = this._list.nodeOf(row.key);
    const focusable = node?.matches(FOCUSABLE)
      ? node
      : node?.querySelector<HTMLElement>(FOCUSABLE);
    focusable?.focus({ preventScroll: true });
  }

  /**
   * Select a row: only it, toggled in or out of the selection (Ctrl/Cmd), or the rows from the
   * anchor to it (Shift).
   */
  private _select(
    key: string,
    mode: 'only' | 'toggle' | 'range' = 'only'
  ): void {
    if (!key) {
      return;
    }
    if (mode === 'toggle') {
      if (this._selection.has(key)) {
        this._selection.delete(key);
      } else {
        this._selection.add(key);
      }
      this._anchorKey = key;
    } else if (mode === 'range' && this._anchorKey) {
      const keys = this._list.rows
        .filter(r => r.kind === 'container')
        .map(r => r.key);
      const from = keys.indexOf(this._anchorKey);
      const to = keys.indexOf(key);
      this._selection = new Set(
        from < 0 || to < 0
          ? [key]
          : keys.slice(Math.min(from, to), Math.max(from, to) + 1)
      );
    } else {
      this._selection = new Set([key]);
      this._anchorKey = key;
    }
    this._selectedKey = key;
    this._renderSelection();
  }

  private _renderSelection(): void {
    for (const node of this._list.renderedNodes) {
      if (node.classList.contains('jp-LittleWings-item')) {
        Private.markSelected(node, this._selection.has(node.dataset.key!));
      }
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
      open.append(Private.icon('merged'), document.createTextNode('Open logs'));
      const onMergedLogs = this._onMergedLogs;
      open.addEventListener('click', () => onMergedLogs(selected));
      children.push(open);
    }
    const clear = document.createElement('button');
    clear.type = 'button';
    clear.className = 'jp-LittleWings-button jp-LittleWings-clearSelection';
    clear.title = 'Clear the selection (Escape)';
    clear.setAttribute('aria-label', 'Clear the selection');
    clear.appendChild(Private.icon('close'));
    clear.addEventListener('click', () =>
      this._select(this._selectedKey ?? '', 'only')
    );
    children.push(clear);
    bar.replaceChildren(...children);
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

  /** Draw on the next animation frame: many changes in one frame cost one drawing. */
  private _scheduleRender(): void {
    if (!this._frame) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._render();
      });
    }
  }

  /** Draw now; `rebuild` draws every row again (uptimes moved on, a busy state). */
  private _render(rebuild = false): void {
    if (this._frame) {
      cancelAnimationFrame(this._frame);
      this._frame = 0;
    }
    const model = this._model;
    this._renderBanner();
    // No permission: nothing to filter and no live updates to come, so neither is shown.
    this.node.classList.toggle(
      'jp-mod-forbidden',
      model.problem?.kind === 'forbidden'
    );
    this.node.classList.toggle('jp-mod-engines', model.engines.length > 1);

    const all = model.ordered();
    for (const key of this._selection) {
      if (!model.get(key)) {
        this._selection.delete(key);
      }
    }
    this._renderSelectionBar();
    let running = 0;
    for (const c of all) {
      if (c.state === 'running') {
        running++;
      }
    }
    this._countNode.textContent = all.length
      ? `${running}/${all.length} running`
      : '';

    const list = this._listNode;
    const several = model.engines.length > 1;
    if (model.problem) {
      this._list.setRows([], true);
      list.replaceChildren(this._problemNode(model.problem));
      this._changed.emit();
      return;
    }
    if (!model.loaded) {
      this._list.setRows([], true);
      list.replaceChildren(Private.empty('Loading containers…', ''));
      return;
    }
    const hasServices = [...model.services.values()].some(s => s.length);
    if (!all.length && !several && !hasServices) {
      this._list.setRows([], true);
      list.replaceChildren(
        Private.empty(
          'No containers',
          'Containers appear here as soon as Docker creates them, e.g. with docker run -d --name web nginx.'
        )
      );
      this._changed.emit();
      return;
    }
    const term = this._filterInput.value.trim().toLowerCase();
    const rows = buildRows({
      containers: all,
      engines: model.engines,
      services: model.services,
      term,
      collapsed: this._collapsed
    });
    // Matches inside a collapsed group still match: only when none does is it said.
    if (
      term &&
      !all.some(c => matches(c, term)) &&
      !rows.some(r => r.kind === 'service')
    ) {
      this._list.setRows([], true);
      list.replaceChildren(
        Private.empty(
          `No container matches “${this._filterInput.value.trim()}”`,
          ''
        )
      );
      this._changed.emit();
      return;
    }
    this._now = Date.now();
    this._list.setRows(rows, rebuild);
    this._changed.emit();
  }

  private _renderBanner(): void {
    const banner = this._bannerNode;
    if (banner.dataset.kind === 'error' && !banner.hidden) {
      return;
    }
    const { problem, status } = this._model;
    if (!problem && status && !status.permissions.write) {
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

  /** A row's DOM node (the list places it). */
  private _rowNode(row: ListRow): HTMLElement {
    let node: HTMLElement;
    switch (row.kind) {
      case 'engine':
        node = this._engineNode(row);
        break;
      case 'project':
        node = this._groupNode(row);
        break;
      case 'services':
        node = this._servicesNode(row);
        break;
      case 'service':
        node = this._serviceNode(row);
        break;
      case 'container':
        node = this._itemNode(row.container, this._now, row.depth);
        break;
      default: {
        node = document.createElement('div');
        node.className = 'jp-LittleWings-note';
        node.textContent = row.text;
        Private.indent(node, row.depth);
      }
    }
    node.classList.add('jp-LittleWings-vrow');
    node.dataset.key = row.key;
    node.style.height = `${ROW_HEIGHTS[row.kind]}px`;
    return node;
  }

  private _engineNode(row: Extract<ListRow, { kind: 'engine' }>): HTMLElement {
    const engine = row.engine;
    const header = document.createElement('button');
    header.type = 'button';
    header.className = 'jp-LittleWings-groupHeader jp-LittleWings-engineHeader';
    header.dataset.engine = engine.name;
    header.setAttribute('role', 'treeitem');
    header.setAttribute('aria-expanded', String(!row.collapsed));
    const caret = Private.icon(
      'down',
      'jp-LittleWings-icon jp-LittleWings-caret'
    );
    const text = document.createElement('span');
    text.className = 'jp-LittleWings-engineText';
    const name = document.createElement('span');
    name.className = 'jp-LittleWings-engineName';
    name.textContent = engine.name;
    const detail = document.createElement('span');
    detail.className = 'jp-LittleWings-engineDetail';
    if (engine.reachable) {
      // The Swarm role first: a long URL is what the ellipsis may cut.
      detail.textContent = [
        engine.swarm ? `swarm ${engine.swarm}` : '',
        engine.url
      ]
        .filter(Boolean)
        .join(' · ');
    } else {
      detail.classList.add('jp-mod-unreachable');
      detail.textContent = `unreachable: ${engine.error || 'no answer'}`;
    }
    text.append(name, detail);
    const count = document.createElement('span');
    count.className = 'jp-LittleWings-groupCount';
    if (engine.reachable) {
      count.textContent = `${row.running}/${row.shown}`;
      count.title = `${row.running} of ${row.shown} running`;
    }
    header.append(caret, text, count);
    header.title = [
      `Docker engine ${engine.name}`,
      engine.url ? `URL: ${engine.url}` : '',
      engine.source ? `From: ${engine.source}` : '',
      engine.tls ? 'TLS' : '',
      engine.reachable
        ? ''
        : `Unreachable: ${engine.error || 'no answer'} (retried by itself)`
    ]
      .filter(Boolean)
      .join('\n');
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-engineRow';
    node.dataset.engine = engine.name;
    node.dataset.reachable = String(engine.reachable);
    node.appendChild(header);
    if (this._onCreate && engine.reachable && this._model.permissions.write) {
      const create = document.createElement('button');
      create.type = 'button';
      create.className = 'jp-LittleWings-button jp-LittleWings-engineCreate';
      create.dataset.action = 'create';
      create.dataset.engine = engine.name;
      create.title = `New container on ${engine.name}…`;
      create.setAttribute('aria-label', `New container on ${engine.name}`);
      create.tabIndex = -1;
      create.appendChild(Private.icon('plus'));
      node.appendChild(create);
    }
    return node;
  }

  private _groupNode(row: Extract<ListRow, { kind: 'project' }>): HTMLElement {
    const key = row.project;
    const header = document.createElement('button');
    header.type = 'button';
    header.className = 'jp-LittleWings-groupHeader';
    header.dataset.group = key;
    header.dataset.engine = row.engine;
    header.setAttribute('role', 'treeitem');
    header.setAttribute('aria-expanded', String(!row.collapsed));
    const caret = Private.icon(
      'down',
      'jp-LittleWings-icon jp-LittleWings-caret'
    );
    const name = document.createElement('span');
    name.className = 'jp-LittleWings-groupName';
    name.textContent = key || 'Other containers';
    const count = document.createElement('span');
    count.className = 'jp-LittleWings-groupCount';
    count.textContent = `${row.running}/${row.shown}`;
    count.title = `${row.running} of ${row.shown} running`;
    header.append(caret, name, count);
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-groupRow';
    node.dataset.group = key;
    node.dataset.engine = row.engine;
    Private.indent(node, row.depth);
    node.appendChild(header);
    if (key) {
      header.title = `Compose project ${key}`;
      if (this._onProjectLogs) {
        const logs = document.createElement('button');
        logs.type = 'button';
        logs.className = 'jp-LittleWings-button jp-LittleWings-projectLogs';
        logs.dataset.action = 'project-logs';
        logs.dataset.group = key;
        logs.dataset.engine = this._requestEngine(row.engine);
        logs.title = `Open project logs: every container of ${key}, merged`;
        logs.setAttribute('aria-label', `Open project logs of ${key}`);
        logs.tabIndex = -1;
        logs.appendChild(Private.icon('merged'));
        node.appendChild(logs);
      }
    }
    return node;
  }

  private _servicesNode(
    row: Extract<ListRow, { kind: 'services' }>
  ): HTMLElement {
    const header = document.createElement('button');
    header.type = 'button';
    header.className =
      'jp-LittleWings-groupHeader jp-LittleWings-servicesHeader';
    header.dataset.engine = row.engine;
    header.setAttribute('role', 'treeitem');
    header.setAttribute('aria-expanded', String(!row.collapsed));
    header.title = `Docker Swarm services of ${row.engine}`;
    const caret = Private.icon(
      'down',
      'jp-LittleWings-icon jp-LittleWings-caret'
    );
    const name = document.createElement('span');
    name.className = 'jp-LittleWings-groupName';
    name.textContent = 'Services';
    const count = document.createElement('span');
    count.className = 'jp-LittleWings-groupCount';
    count.textContent = String(row.services.length);
    header.append(caret, name, count);
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-servicesRow';
    node.dataset.engine = row.engine;
    Private.indent(node, row.depth);
    node.appendChild(header);
    return node;
  }

  private _serviceNode(
    row: Extract<ListRow, { kind: 'service' }>
  ): HTMLElement {
    const s = row.service;
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-service';
    node.dataset.service = s.name;
    node.dataset.engine = row.engine;
    node.tabIndex = 0;
    node.setAttribute('role', 'treeitem');
    Private.indent(node, row.depth);
    const desired = s.replicas ?? null;
    const running = s.running ?? 0;
    const healthy = desired === null ? running > 0 : running >= desired;
    const replicas =
      desired === null
        ? `${running} running (global)`
        : `${running}/${desired}`;
    node.title = [
      `Swarm service ${s.name}`,
      s.image ? `Image: ${s.image}` : '',
      `Tasks: ${replicas}`,
      s.update_state ? `Update: ${s.update_state}` : '',
      s.update_message ?? '',
      '',
      "Double-click or Enter: its tasks' logs, merged"
    ]
      .filter((line, i, lines) => line !== '' || i === lines.length - 2)
      .join('\n');
    const main = document.createElement('div');
    main.className = 'jp-LittleWings-itemMain';
    const name = document.createElement('span');
    name.className = 'jp-LittleWings-itemName';
    name.textContent = s.name;
    const detail = document.createElement('span');
    detail.className = 'jp-LittleWings-itemDetail';
    const image = document.createElement('span');
    image.className = 'jp-LittleWings-itemImage';
    image.textContent = shortImage(s.image);
    const status = document.createElement('span');
    status.className =
      'jp-LittleWings-itemStatus jp-LittleWings-serviceReplicas';
    status.textContent = replicas;
    detail.append(image, status);
    if (s.update_state) {
      const update = document.createElement('span');
      update.className = 'jp-LittleWings-serviceUpdate';
      update.dataset.state = s.update_state;
      update.textContent = s.update_state;
      detail.appendChild(update);
    }
    main.append(name, detail);
    const actions = document.createElement('div');
    actions.className = 'jp-LittleWings-itemActions';
    if (this._onServiceLogs) {
      const logs = document.createElement('button');
      logs.type = 'button';
      logs.className = 'jp-LittleWings-button jp-LittleWings-serviceLogs';
      logs.dataset.action = 'service-logs';
      logs.dataset.service = s.name;
      logs.dataset.engine = row.engine;
      logs.title = `Open the logs of ${s.name}'s tasks, merged`;
      logs.setAttribute('aria-label', `Open the logs of service ${s.name}`);
      logs.tabIndex = -1;
      logs.appendChild(Private.icon('merged'));
      actions.appendChild(logs);
    }
    node.append(
      Private.state(
        healthy ? 'running' : 'starting',
        healthy ? 'All tasks running' : 'Tasks missing'
      ),
      main,
      actions
    );
    return node;
  }

  private _itemNode(
    c: IContainerSummary,
    now: number,
    depth: number
  ): HTMLElement {
    const state = displayState(c);
    const key = containerKey(c);
    const busy = this._model.isBusy(c);
    const item = document.createElement('div');
    item.className = 'jp-LittleWings-item';
    item.classList.toggle('jp-mod-indented', depth > 0);
    Private.indent(item, depth);
    item.classList.toggle('jp-mod-busy', busy);
    item.dataset.key = key;
    item.dataset.id = c.id;
    item.dataset.name = c.name;
    item.dataset.engine = String(c.engine ?? '');
    item.dataset.state = c.state ?? 'unknown';
    item.tabIndex = 0;
    item.setAttribute('role', 'treeitem');
    Private.markSelected(item, this._selection.has(key));
    item.title = [
      c.name,
      c.image ? `Image: ${c.image}` : '',
      `State: ${STATE_LABELS[state]}`,
      c.status ? `Status: ${c.status}` : '',
      c.compose_project
        ? `Compose: ${c.compose_project} / ${c.compose_service ?? ''}`
        : '',
      this._model.engines.length > 1 ? `Engine: ${String(c.engine ?? '')}` : '',
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
    item.append(
      Private.state(
        busy ? 'restarting' : state,
        busy ? 'Working…' : STATE_LABELS[state]
      ),
      main,
      actions
    );
    // The buttons show on hover, focus or while busy: made then, not for every row drawn.
    if (busy || key === this._hoverKey || key === this._focusKey || !HOVER) {
      this._fillActions(item);
    }
    return item;
  }

  /** The row's buttons (console, shell, start/stop, restart), once it needs them. */
  private _fillActions(item: HTMLElement): void {
    const key = item.dataset.key ?? '';
    const c = this._model.get(key);
    const actions = item.querySelector<HTMLElement>(
      '.jp-LittleWings-itemActions'
    );
    if (!c || !actions || item.dataset.actions) {
      return;
    }
    item.dataset.actions = '1';
    const busy = this._model.isBusy(c);
    const canWrite = this._model.permissions.write;
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
      button.appendChild(Private.icon(icon));
      actions.appendChild(button);
    }
  }

  private _problemNode(
    problem: NonNullable<IContainersModel.Problem>
  ): HTMLElement {
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
    retry.addEventListener('click', () => void this._model.refresh());
    node.append(title, body, retry);
    return node;
  }

  private _model: ContainersModel;
  private _onOpen: (c: IContainerSummary) => void;
  private _onShell: ((c: IContainerSummary) => void) | null;
  private _onProjectLogs: ((project: string, engine: string) => void) | null;
  private _onMergedLogs: ((containers: IContainerSummary[]) => void) | null;
  private _onServiceLogs: ((service: string, engine: string) => void) | null;
  private _onCreate: ((engine: string) => void) | null;
  private _hoverKey: string | null = null;
  private _focusKey: string | null = null;
  private _selectedKey: string | null = null;
  private _selection = new Set<string>();
  private _anchorKey: string | null = null;
  private _contextKey: string | null = null;
  private _contextGroup: IProjectRef | null = null;
  private _contextEngine: string | null = null;
  private _selectionBar: HTMLDivElement;
  private _collapsed = new Set<string>();
  private _ticker = 0;
  private _frame = 0;
  private _now = Date.now();
  private _countNode: HTMLSpanElement;
  private _liveNode: HTMLSpanElement;
  private _filterInput: HTMLInputElement;
  private _bannerNode: HTMLDivElement;
  private _listNode: HTMLDivElement;
  private _list: VirtualList<ListRow>;
  private _changed = new Signal<this, void>(this);
}

export namespace ContainersPanel {
  export interface IOptions {
    /** The containers to show (the panel starts it when attached). */
    model: ContainersModel;
    /** Open the console of a container. */
    onOpen: (container: IContainerSummary) => void;
    /** Ask for a new container (the header's "+": engine ''; an engine header's: its name). */
    onCreate?: (engine: string) => void;
    /** Open a shell in a container (in its console). */
    onShell?: (container: IContainerSummary) => void;
    /** Open the merged logs of a Compose project of an engine ('' the default one). */
    onProjectLogs?: (project: string, engine: string) => void;
    /** Open the merged logs of the selected containers (the selection bar's button). */
    onMergedLogs?: (containers: IContainerSummary[]) => void;
    /** Open the merged logs of a Swarm service's tasks. */
    onServiceLogs?: (service: string, engine: string) => void;
  }
}

namespace Private {
  /** Whether a row drawn before can stay for this one (the list reuses its node). */
  export function sameRow(a: ListRow, b: ListRow): boolean {
    if (a.kind !== b.kind || a.key !== b.key) {
      return false;
    }
    switch (a.kind) {
      case 'container': {
        const other = b as typeof a;
        return a.container === other.container && a.depth === other.depth;
      }
      case 'engine': {
        const other = b as typeof a;
        return (
          a.engine === other.engine &&
          a.shown === other.shown &&
          a.running === other.running &&
          a.collapsed === other.collapsed
        );
      }
      case 'project': {
        const other = b as typeof a;
        return (
          a.shown === other.shown &&
          a.running === other.running &&
          a.collapsed === other.collapsed &&
          a.depth === other.depth
        );
      }
      case 'services': {
        const other = b as typeof a;
        return a.services === other.services && a.collapsed === other.collapsed;
      }
      case 'service':
        return a.service === (b as typeof a).service;
      default:
        return a.text === (b as typeof a).text;
    }
  }

  const icons = new Map<string, HTMLSpanElement>();

  /** An icon, cloned from one made once (rows are drawn often: no SVG parsed per row). */
  export function icon(
    name: IconName,
    className = 'jp-LittleWings-icon'
  ): HTMLSpanElement {
    const key = `${name} ${className}`;
    let made = icons.get(key);
    if (!made) {
      made = iconNode(name, className);
      icons.set(key, made);
    }
    return made.cloneNode(true) as HTMLSpanElement;
  }

  const states = new Map<string, HTMLSpanElement>();

  /** A state badge, cloned from one made once. */
  export function state(name: string, title: string): HTMLSpanElement {
    let made = states.get(name);
    if (!made) {
      made = stateNode(name, '');
      states.set(name, made);
    }
    const node = made.cloneNode(true) as HTMLSpanElement;
    node.title = title;
    node.setAttribute('aria-label', title);
    return node;
  }

  /** The key of the row a node is in. */
  export function rowKeyOf(node: HTMLElement | null): string | null {
    return node?.closest<HTMLElement>('[data-key]')?.dataset.key ?? null;
  }

  /** Indent a row by its depth (engine > project > container). */
  export function indent(node: HTMLElement, depth: number): void {
    if (depth > 0) {
      node.style.setProperty('--jp-LittleWings-depth', String(depth));
    }
  }

  export function markSelected(node: HTMLElement, selected: boolean): void {
    node.classList.toggle('jp-mod-selected', selected);
    node.setAttribute('aria-selected', String(selected));
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
}

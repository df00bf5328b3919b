/**
 * The Containers sidebar's panel, a view of the containers model (model.ts): its header, filter,
 * virtual list (rows made by sidebarrows.ts), selection bar and banners, and what the user does
 * there (clicks, keys, selection, folds). It stays whole because those handlers all work on the
 * one virtual list's rows and the panel's focus and selection.
 */
import { ISignal, Signal } from '@lumino/signaling';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  IContainerSummary,
  IConnectionStatus,
  PowerAction,
  actionLabel,
  searchBox
} from './console';
import {
  GroupKind,
  ListRow,
  ROW_HEIGHTS,
  buildRows,
  containerKey,
  matches,
  sortContainers
} from './containerlist';
import { ContainersModel } from './model';
import {
  empty,
  markSelected,
  rowIcon,
  rowKeyOf,
  sameRow,
  text,
  SidebarRows
} from './sidebarrows';
import { IContainersModel } from './tokens';
import { VirtualList } from './virtuallist';

/** The focusable part of a row: a container or a service, or a header's button. */
const FOCUSABLE =
  '.jp-LittleWings-item, .jp-LittleWings-service, .jp-LittleWings-groupHeader';

/** A Compose project of an engine (the context menu's, or a header's). */
export interface IProjectRef {
  /** The Compose project's or the Podman pod's name. */
  project: string;
  engine: string;
  kind: GroupKind;
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
    this._onTaskLogs = options.onTaskLogs ?? null;
    this._onCreate = options.onCreate ?? null;
    this._rows = new SidebarRows(this._model, {
      isSelected: key => this._selection.has(key),
      showsActions: key => key === this._hoverKey || key === this._focusKey,
      shell: !!this._onShell,
      onCreate: !!this._onCreate,
      projectLogs: !!this._onProjectLogs,
      serviceLogs: !!this._onServiceLogs
    });

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
    refresh.appendChild(rowIcon('restart'));
    refresh.addEventListener('click', () => void this._model.refresh());
    header.append(title, this._countNode, this._liveNode);
    if (this._onCreate) {
      const create = document.createElement('button');
      create.type = 'button';
      create.className = 'jp-LittleWings-button jp-LittleWings-newContainer';
      create.title = 'New container…';
      create.setAttribute('aria-label', 'New container');
      create.appendChild(rowIcon('plus'));
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
      render: row => this._rows.node(row, this._now),
      same: (a, b) => sameRow(a, b),
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
      const key = rowKeyOf(event.target as HTMLElement);
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
        ? {
            project: group.dataset.group,
            engine: group.dataset.engine ?? '',
            kind: group.dataset.kind === 'pod' ? 'pod' : 'project'
          }
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
        button!.dataset.engine ?? '',
        button!.dataset.kind === 'pod' ? 'pod' : 'project'
      );
      return;
    }
    if (action === 'task-logs') {
      event.stopPropagation();
      this._onTaskLogs?.(
        button!.dataset.task!,
        this._requestEngine(button!.dataset.engine ?? '')
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
      const key = rowKeyOf(header);
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
      this._rows.fillActions(item);
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
    const key = rowKeyOf(focusable);
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
        markSelected(node, this._selection.has(node.dataset.key!));
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
      open.append(rowIcon('merged'), document.createTextNode('Open logs'));
      const onMergedLogs = this._onMergedLogs;
      open.addEventListener('click', () => onMergedLogs(selected));
      children.push(open);
    }
    const clear = document.createElement('button');
    clear.type = 'button';
    clear.className = 'jp-LittleWings-button jp-LittleWings-clearSelection';
    clear.title = 'Clear the selection (Escape)';
    clear.setAttribute('aria-label', 'Clear the selection');
    clear.appendChild(rowIcon('close'));
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
      text('strong', `${actionLabel(action)} ${c.name} failed`),
      text('span', message)
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
      list.replaceChildren(this._rows.problem(model.problem));
      this._changed.emit();
      return;
    }
    if (!model.loaded) {
      this._list.setRows([], true);
      list.replaceChildren(empty('Loading containers…', ''));
      return;
    }
    const hasServices = [...model.services.values()].some(s => s.length);
    if (!all.length && !several && !hasServices) {
      this._list.setRows([], true);
      list.replaceChildren(
        empty(
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
      nodes: model.nodes,
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
        empty(`No container matches “${this._filterInput.value.trim()}”`, '')
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
        text('strong', 'Read-only'),
        text(
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

  private _model: ContainersModel;
  private _rows: SidebarRows;
  private _onOpen: (c: IContainerSummary) => void;
  private _onShell: ((c: IContainerSummary) => void) | null;
  private _onProjectLogs:
    ((name: string, engine: string, kind: GroupKind) => void) | null;
  private _onMergedLogs: ((containers: IContainerSummary[]) => void) | null;
  private _onServiceLogs: ((service: string, engine: string) => void) | null;
  private _onTaskLogs: ((task: string, engine: string) => void) | null;
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
    /** Open the merged logs of a Compose project or a Podman pod. */
    onProjectLogs?: (name: string, engine: string, kind: GroupKind) => void;
    /** Open the merged logs of the selected containers (the selection bar's button). */
    onMergedLogs?: (containers: IContainerSummary[]) => void;
    /** Open the merged logs of a Swarm service's tasks. */
    onServiceLogs?: (service: string, engine: string) => void;
    /** Open one Swarm task's console (a link in its node's row). */
    onTaskLogs?: (task: string, engine: string) => void;
  }
}

/**
 * The rows of the Containers sidebar as DOM nodes: an engine's header, a Compose project's, the
 * Swarm services' and a service, a container with its buttons, and what the list says when it
 * has no rows. The panel (sidebar.ts) places them in its virtual list and handles their events.
 * It stays whole (a little over 600 lines) because it is one table of the row kinds: each kind's
 * node, and `sameRow`, which says when a drawn node still fits its row, read the same rows.
 */
// The console's leaf modules, not its index (which brings xterm and Lumino widgets): the rows
// and `sameRow` are then tested without a DOM.
import { STATE_LABELS, shortImage, statusText } from './console/format';
import { IconName, iconNode, stateNode } from './console/icons';
import {
  IContainerSummary,
  actionAllowed,
  displayState
} from './console/protocol';
import {
  ListRow,
  ROW_HEIGHTS,
  containerKey,
  engineRelease
} from './containerlist';
import type { IContainersModel } from './tokens';

/** Whether the pointer can hover (else a row's buttons are always shown, as CSS does). */
const HOVER =
  typeof window === 'undefined' || !window.matchMedia
    ? true
    : !window.matchMedia('(hover: none)').matches;

/** Makes the nodes of the sidebar's rows. */
export class SidebarRows {
  constructor(model: IContainersModel, options: SidebarRows.IOptions) {
    this._model = model;
    this._options = options;
  }

  /** A row's DOM node (the list places it). */
  node(row: ListRow, now: number): HTMLElement {
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
      case 'nodes':
        node = this._nodesNode(row);
        break;
      case 'node':
        node = this._nodeNode(row);
        break;
      case 'container':
        node = this._itemNode(row.container, now, row.depth);
        break;
      default: {
        node = document.createElement('div');
        node.className = 'jp-LittleWings-note';
        node.textContent = row.text;
        indent(node, row.depth);
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
    const caret = rowIcon('down', 'jp-LittleWings-icon jp-LittleWings-caret');
    const text = document.createElement('span');
    text.className = 'jp-LittleWings-engineText';
    const name = document.createElement('span');
    name.className = 'jp-LittleWings-engineName';
    name.textContent = engine.name;
    const detail = document.createElement('span');
    detail.className = 'jp-LittleWings-engineDetail';
    if (engine.reachable) {
      // The kind and the Swarm role first: a long URL is what the ellipsis may cut.
      detail.textContent = [
        engineRelease(engine),
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
      `${engine.kind === 'podman' ? 'Podman' : 'Docker'} engine ${engine.name}`,
      engineRelease(engine) ? `Release: ${engineRelease(engine)}` : '',
      engine.url ? `URL: ${engine.url}` : '',
      engine.urls && engine.urls.length > 1
        ? `Managers: ${engine.urls.join(', ')} (the next is read when one goes away)`
        : '',
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
    if (
      this._options.onCreate &&
      engine.reachable &&
      this._model.permissions.write
    ) {
      const create = document.createElement('button');
      create.type = 'button';
      create.className = 'jp-LittleWings-button jp-LittleWings-engineCreate';
      create.dataset.action = 'create';
      create.dataset.engine = engine.name;
      create.title = `New container on ${engine.name}…`;
      create.setAttribute('aria-label', `New container on ${engine.name}`);
      create.tabIndex = -1;
      create.appendChild(rowIcon('plus'));
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
    header.dataset.kind = row.group;
    header.dataset.engine = row.engine;
    header.setAttribute('role', 'treeitem');
    header.setAttribute('aria-expanded', String(!row.collapsed));
    const caret = rowIcon('down', 'jp-LittleWings-icon jp-LittleWings-caret');
    const name = document.createElement('span');
    name.className = 'jp-LittleWings-groupName';
    name.textContent = key || 'Other containers';
    const count = document.createElement('span');
    count.className = 'jp-LittleWings-groupCount';
    count.textContent = `${row.running}/${row.shown}`;
    count.title = `${row.running} of ${row.shown} running`;
    header.append(caret, name);
    if (row.group === 'pod') {
      const kind = document.createElement('span');
      kind.className = 'jp-LittleWings-groupKind';
      kind.textContent = 'pod';
      header.appendChild(kind);
    }
    header.appendChild(count);
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-groupRow';
    node.dataset.group = key;
    node.dataset.kind = row.group;
    node.dataset.engine = row.engine;
    indent(node, row.depth);
    node.appendChild(header);
    if (key) {
      const what = row.group === 'pod' ? 'Podman pod' : 'Compose project';
      header.title = `${what} ${key}`;
      if (this._options.projectLogs) {
        const logs = document.createElement('button');
        logs.type = 'button';
        logs.className = 'jp-LittleWings-button jp-LittleWings-projectLogs';
        logs.dataset.action = 'project-logs';
        logs.dataset.group = key;
        logs.dataset.kind = row.group;
        logs.dataset.engine = this._model.engineOf({ engine: row.engine });
        logs.title = `Open ${row.group} logs: every container of ${key}, merged`;
        logs.setAttribute('aria-label', `Open ${row.group} logs of ${key}`);
        logs.tabIndex = -1;
        logs.appendChild(rowIcon('merged'));
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
    const caret = rowIcon('down', 'jp-LittleWings-icon jp-LittleWings-caret');
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
    indent(node, row.depth);
    node.appendChild(header);
    return node;
  }

  private _nodesNode(row: Extract<ListRow, { kind: 'nodes' }>): HTMLElement {
    const header = document.createElement('button');
    header.type = 'button';
    header.className = 'jp-LittleWings-groupHeader jp-LittleWings-nodesHeader';
    header.dataset.engine = row.engine;
    header.setAttribute('role', 'treeitem');
    header.setAttribute('aria-expanded', String(!row.collapsed));
    header.title = `Docker Swarm nodes of ${row.engine}`;
    const caret = rowIcon('down', 'jp-LittleWings-icon jp-LittleWings-caret');
    const name = document.createElement('span');
    name.className = 'jp-LittleWings-groupName';
    name.textContent = 'Nodes';
    const ready = row.nodes.filter(n => n.state === 'ready').length;
    const count = document.createElement('span');
    count.className = 'jp-LittleWings-groupCount';
    count.textContent = `${ready}/${row.nodes.length}`;
    count.title = `${ready} of ${row.nodes.length} ready`;
    header.append(caret, name, count);
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-nodesRow';
    node.dataset.engine = row.engine;
    indent(node, row.depth);
    node.appendChild(header);
    return node;
  }

  /** A Swarm node: its hostname, role, and the tasks it runs (the state when not ready). */
  private _nodeNode(row: Extract<ListRow, { kind: 'node' }>): HTMLElement {
    const n = row.node;
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-node';
    node.dataset.node = n.hostname;
    node.dataset.engine = row.engine;
    node.dataset.state = n.state ?? 'unknown';
    node.setAttribute('role', 'treeitem');
    indent(node, row.depth);
    const tasks = (n.tasks ?? []).filter(t => t.state === 'running');
    const role = n.leader ? 'leader' : (n.role ?? '');
    node.title = [
      `Swarm node ${n.hostname} (${n.id.slice(0, 12)})`,
      `Role: ${n.leader ? 'manager, leader' : (n.role ?? '?')}`,
      `State: ${n.state ?? '?'}, availability: ${n.availability ?? '?'}`,
      n.address ? `Address: ${n.address}` : '',
      n.engine_version ? `Docker ${n.engine_version}` : '',
      `Tasks: ${tasks.map(t => t.name).join(', ') || 'none'}`
    ]
      .filter(Boolean)
      .join('\n');
    const { main, detail, status } = itemMain(n.hostname, '');
    const running = detail.querySelector('.jp-LittleWings-itemImage');
    if (running && tasks.length && this._options.serviceLogs) {
      // Each task a link to its own console (its log through the manager, on whatever node).
      tasks.forEach((t, i) => {
        const link = document.createElement('button');
        link.type = 'button';
        link.className = 'jp-LittleWings-taskLink';
        link.dataset.action = 'task-logs';
        link.dataset.task = t.name;
        link.dataset.engine = row.engine;
        link.textContent = t.name;
        link.title = `Open the console of task ${t.name} (on ${n.hostname})`;
        link.tabIndex = -1;
        running.append(...(i ? [', ', link] : [link]));
      });
    } else if (running) {
      running.textContent = tasks.map(t => t.name).join(', ') || 'no tasks';
    }
    status.classList.add('jp-LittleWings-nodeRole');
    status.textContent = role;
    for (const word of [
      n.state && n.state !== 'ready' ? n.state : '',
      n.availability && n.availability !== 'active' ? n.availability : ''
    ]) {
      if (word) {
        const badge = document.createElement('span');
        badge.className = 'jp-LittleWings-nodeBadge';
        badge.textContent = word;
        detail.prepend(badge);
      }
    }
    const ready = n.state === 'ready';
    node.append(
      stateBadge(
        ready ? 'running' : 'exited',
        ready ? 'Ready' : `Node ${n.state ?? 'unknown'}`
      ),
      main
    );
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
    indent(node, row.depth);
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
    const { main, detail, status } = itemMain(s.name, s.image);
    status.classList.add('jp-LittleWings-serviceReplicas');
    status.textContent = replicas;
    if (s.update_state) {
      const update = document.createElement('span');
      update.className = 'jp-LittleWings-serviceUpdate';
      update.dataset.state = s.update_state;
      update.textContent = s.update_state;
      detail.appendChild(update);
    }
    const actions = document.createElement('div');
    actions.className = 'jp-LittleWings-itemActions';
    if (this._options.serviceLogs) {
      const logs = document.createElement('button');
      logs.type = 'button';
      logs.className = 'jp-LittleWings-button jp-LittleWings-serviceLogs';
      logs.dataset.action = 'service-logs';
      logs.dataset.service = s.name;
      logs.dataset.engine = row.engine;
      logs.title = `Open the logs of ${s.name}'s tasks, merged`;
      logs.setAttribute('aria-label', `Open the logs of service ${s.name}`);
      logs.tabIndex = -1;
      logs.appendChild(rowIcon('merged'));
      actions.appendChild(logs);
    }
    node.append(
      stateBadge(
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
    indent(item, depth);
    item.classList.toggle('jp-mod-busy', busy);
    item.dataset.key = key;
    item.dataset.id = c.id;
    item.dataset.name = c.name;
    item.dataset.engine = String(c.engine ?? '');
    item.dataset.state = c.state ?? 'unknown';
    item.tabIndex = 0;
    item.setAttribute('role', 'treeitem');
    markSelected(item, this._options.isSelected(key));
    item.title = [
      c.name,
      c.image ? `Image: ${c.image}` : '',
      `State: ${STATE_LABELS[state]}`,
      c.status ? `Status: ${c.status}` : '',
      c.compose_project
        ? `Compose: ${c.compose_project} / ${c.compose_service ?? ''}`
        : '',
      c.pod ? `Pod: ${c.pod}` : '',
      this._model.engines.length > 1 ? `Engine: ${String(c.engine ?? '')}` : '',
      `ID: ${c.id.slice(0, 12)}`,
      '',
      'Double-click or Enter: open the console',
      'Ctrl/Cmd-click or Shift-click: select several'
    ]
      .filter((line, i, lines) => line !== '' || i === lines.length - 2)
      .join('\n');

    const { main, status } = itemMain(c.name, c.image);
    status.dataset.state = state;
    status.textContent = statusText(c, now);

    const actions = document.createElement('div');
    actions.className = 'jp-LittleWings-itemActions';
    item.append(
      stateBadge(
        busy ? 'restarting' : state,
        busy ? 'Working…' : STATE_LABELS[state]
      ),
      main,
      actions
    );
    // The buttons show on hover, focus or while busy: made then, not for every row drawn.
    if (busy || this._options.showsActions(key) || !HOVER) {
      this.fillActions(item);
    }
    return item;
  }

  /** The row's buttons (console, shell, start/stop, restart), once it needs them. */
  fillActions(item: HTMLElement): void {
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
      ...(this._options.shell && c.state === 'running' && canWrite
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
      button.appendChild(rowIcon(icon));
      actions.appendChild(button);
    }
  }

  problem(problem: NonNullable<IContainersModel.Problem>): HTMLElement {
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-problem';
    node.dataset.kind = problem.kind;
    const title = document.createElement('h3');
    const body = document.createElement('div');
    body.className = 'jp-LittleWings-problemBody';
    if (problem.kind === 'engine') {
      title.textContent = 'No Docker engine reachable';
      body.append(
        text('p', 'The Jupyter server cannot talk to Docker. To fix it:'),
        list([
          'start the Docker engine (e.g. sudo systemctl start docker);',
          'check DOCKER_HOST in the environment of the Jupyter server;',
          'make sure the user running Jupyter may use the Docker socket (the docker group).'
        ])
      );
      if (problem.detail) {
        body.appendChild(text('p', problem.detail)).className =
          'jp-LittleWings-problemDetail';
      }
      body.appendChild(text('p', 'This list retries by itself.'));
    } else if (problem.kind === 'forbidden') {
      title.textContent = 'No permission';
      body.appendChild(text('p', problem.detail));
    } else {
      title.textContent = 'LittleWings is not reachable';
      body.append(
        text('p', problem.detail),
        text(
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

  private _model: IContainersModel;
  private _options: SidebarRows.IOptions;
}

export namespace SidebarRows {
  export interface IOptions {
    /** Whether a container's row is selected. */
    isSelected: (key: string) => boolean;
    /** Whether a container's row shows its buttons now (hovered or focused). */
    showsActions: (key: string) => boolean;
    /** Whether rows offer a shell, a new container, project logs, a service's logs. */
    shell: boolean;
    onCreate: boolean;
    projectLogs: boolean;
    serviceLogs: boolean;
  }
}

/**
 * Whether a row drawn before can stay for this one (the list reuses its node). A row's node is
 * drawn from the row's own fields alone, so one rule serves every kind: the same fields with the
 * same values. Values are compared as they are: the summaries a row holds (a container, an
 * engine, a service, a node) are replaced when they change, never changed in place. A list (the
 * services or the nodes under their header) is made anew with every build of the rows, so it is
 * the same when it holds the same summaries in the same order.
 */
export function sameRow(a: ListRow, b: ListRow): boolean {
  const x: Record<string, unknown> = a;
  const y: Record<string, unknown> = b;
  const fields = Object.keys(x);
  return (
    fields.length === Object.keys(y).length &&
    fields.every(field => Private.sameValue(x[field], y[field]))
  );
}

const icons = new Map<string, HTMLSpanElement>();

/**
 * The middle of a container's or a service's row: its name over its image and a status (the
 * caller fills the status, and may add to the detail line after it).
 */
function itemMain(
  nameText: string,
  imageName: string | undefined
): { main: HTMLDivElement; detail: HTMLSpanElement; status: HTMLSpanElement } {
  const main = document.createElement('div');
  main.className = 'jp-LittleWings-itemMain';
  const name = document.createElement('span');
  name.className = 'jp-LittleWings-itemName';
  name.textContent = nameText;
  const detail = document.createElement('span');
  detail.className = 'jp-LittleWings-itemDetail';
  const image = document.createElement('span');
  image.className = 'jp-LittleWings-itemImage';
  image.textContent = shortImage(imageName);
  const status = document.createElement('span');
  status.className = 'jp-LittleWings-itemStatus';
  detail.append(image, status);
  main.append(name, detail);
  return { main, detail, status };
}

/** An icon, cloned from one made once (rows are drawn often: no SVG parsed per row). */
export function rowIcon(
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
export function stateBadge(name: string, title: string): HTMLSpanElement {
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

namespace Private {
  /** A field's value unchanged: the same value, or a list of the same items in the same order. */
  export function sameValue(x: unknown, y: unknown): boolean {
    return (
      x === y ||
      (Array.isArray(x) &&
        Array.isArray(y) &&
        x.length === y.length &&
        x.every((item, i) => item === y[i]))
    );
  }
}

/**
 * The merged console: the logs of several containers (a Compose project, a label, a selection,
 * a Swarm service's tasks) in one view, interleaved in time, each line prefixed by its member,
 * with the members' list to hide some; what it shares with the single console is in base.ts.
 * It stays whole because the members' list, their colours and prefixes, and the writes batched
 * per frame all work on the one merged buffer.
 */
import { Message } from '@lumino/messaging';

import { ConsoleBase, IConsoleSettings } from './base';
import { ConsoleConnection } from './connection';
import { STATE_LABELS } from './format';
import { iconNode, stateNode } from './icons';
import { ILogLine, LineFormatter } from './loglines';
import {
  GroupTarget,
  IContainerSummary,
  IErrorMessage,
  IGroupInfo,
  ILogMessage,
  displayState
} from './protocol';
import { MEMBER_COLOR_COUNT, memberColors, stderrTint } from './theme';
import { iconButton } from './toolbar';

const FG_OFF = '\x1b[39m';

/**
 * The merged logs of several containers (a Compose project, a label, listed containers) in one
 * view, as `docker compose logs -f` prints them: each line after its container's name, padded
 * and in that container's colour. A member list shows every container with its colour and
 * state, and hides or shows its lines; search, timestamps and downloads work on the whole view.
 *
 * Lines are kept in a buffer bounded by the scrollback setting, so hiding a container draws the
 * view again without its lines, and showing it brings them back in their places.
 */
export class MergedConsole extends ConsoleBase {
  constructor(options: MergedConsole.IOptions) {
    super(options.connection, options.settings);
    this.addClass('jp-LittleWings-mergedConsole');
    if (!this.connection.group) {
      throw new Error('MergedConsole needs a connection to a group');
    }
    this.target = this.connection.group;
    // Lines always come with Docker's timestamps: the toggle only shows or hides them.
    if (!this.connection.watchOptions.timestamps) {
      this.connection.setWatchOptions({ timestamps: true });
    }
    this._downloadLogs = options.downloadLogs ?? null;
    this._openContainer = options.openContainer ?? null;
    this._timestamps = this._settings.timestamps;
    this.title.label = this._withEngine(Private.targetLabel(this.target));
    this.title.caption = `Merged logs of ${Private.targetCaption(this.target)}${this.connection.engine ? ` on ${this.connection.engine}` : ''}`;

    this._formatter = new LineFormatter({
      raw: false,
      minLevel: null,
      timestamps: this._timestamps,
      prefix: name => this._prefix(name)
    });
    this._addHeader({
      lead: iconNode('merged', 'jp-LittleWings-icon jp-LittleWings-mergedIcon'),
      nameClass: 'jp-LittleWings-mergedName',
      metaClass: 'jp-LittleWings-consoleMeta jp-LittleWings-mergedMeta'
    });
    this._nameNode.textContent = Private.targetLabel(this.target);
    this._buildMembers();
    this._addToolbar(this.node, {
      downloads: this._downloadLogs
        ? [
            {
              title:
                "Download the merged logs as one file, each line after its container's name",
              label: 'Download',
              className: 'jp-LittleWings-download',
              run: () => void this.download('text')
            },
            {
              title: 'Download a zip with one log file per container',
              label: 'Zip',
              className: 'jp-LittleWings-downloadZip',
              run: () => void this.download('zip')
            }
          ]
        : []
    });
    this._addLogArea(this.node);

    const c = this.connection;
    c.logReceived.connect(this._onLog, this);
    c.membersChanged.connect(this._onMembers, this);
    c.markerReceived.connect((_, marker) =>
      this._notice(`── ${marker.message} ──`)
    );
    c.errorReceived.connect(this._onError, this);
    this._watchConnection();
    this._renderMembers();
  }

  /** What is watched. */
  readonly target: GroupTarget;

  /** The containers whose lines are hidden. */
  get hiddenMembers(): string[] {
    return [...this._hidden];
  }

  /** The colour (#RRGGBB) a container's name is drawn in. */
  colorOf(name: string): string {
    return this._colors[this._slot(name)];
  }

  /** The history search draws each match's container in its colour. */
  protected _memberColor(name: string): string {
    return this.colorOf(name);
  }

  /** Hide or show a container's lines (the view is drawn again from the buffer). */
  setMemberHidden(name: string, hidden: boolean): void {
    if (hidden === this._hidden.has(name)) {
      return;
    }
    if (hidden) {
      this._hidden.add(name);
    } else {
      this._hidden.delete(name);
    }
    this._renderMembers();
    this._redraw();
  }

  /** The timestamps are shown or hidden: the view is drawn again (lines always carry them). */
  protected _timestampsChanged(): void {
    this._redraw();
  }

  /** Re-read colours and fonts from the page (after a theme change). */
  updateTheme(): void {
    this._logView.updateTheme();
    const colors = memberColors(this.node);
    const tint = stderrTint(this.node);
    if (
      colors.join() !== this._colors.join() ||
      tint !== this._formatter.options.stderrTint
    ) {
      this._colors = colors;
      this._formatter.options.stderrTint = tint;
      this._prefixes.clear();
      this._renderMembers();
      this._redraw();
    }
  }

  /** Clear the view and its buffer (the containers' logs are untouched). */
  clear(): void {
    this._dropPending();
    super.clear();
  }

  /** Download the group's logs: one merged file, or a zip of one file per container. */
  async download(format: 'text' | 'zip' = 'text'): Promise<void> {
    if (this._downloadLogs) {
      await this._downloadLogs(this.target, format, this._timestamps);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._dropPending();
    super.dispose();
  }

  protected _attached(): void {
    this._colors = memberColors(this.node);
    this._formatter.options.stderrTint = stderrTint(this.node);
    this._prefixes.clear();
    this._renderMembers();
    this._redraw();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this._searchInput.focus();
  }

  // ---- building the DOM -------------------------------------------------------------------

  private _buildMembers(): void {
    this._membersNode = document.createElement('div');
    this._membersNode.className = 'jp-LittleWings-members';
    this._membersNode.setAttribute('role', 'group');
    this._membersNode.setAttribute('aria-label', 'Containers of this view');
    this._membersNode.addEventListener('change', event => {
      const input = event.target as HTMLInputElement;
      const name = input.closest<HTMLElement>('.jp-LittleWings-member')?.dataset
        .name;
      if (name !== undefined) {
        this.setMemberHidden(name, !input.checked);
      }
    });
    this._membersNode.addEventListener('click', event => {
      const button = (event.target as HTMLElement).closest<HTMLElement>(
        '.jp-LittleWings-memberConsole'
      );
      const name = button?.closest<HTMLElement>('.jp-LittleWings-member')
        ?.dataset.name;
      if (button && name && this._openContainer) {
        this._openContainer(name);
      }
    });
    this.node.appendChild(this._membersNode);
  }

  // ---- lines ------------------------------------------------------------------------------

  private _onLog(sender: ConsoleConnection, message: ILogMessage): void {
    const name = message.container ?? '';
    const texts = this._buffer.split(
      `${name}\n${message.stream}`,
      message.data
    );
    if (!texts.length) {
      return;
    }
    const wider = this._widen(name);
    const lines: ILogLine[] = texts.map(text => ({
      container: name,
      stream: message.stream,
      text
    }));
    if (message.history && name && !this._historyBegun.has(name)) {
      // Each member's history is its own last lines: one that begins after others' lines
      // (a quieter container's tail reaches less far back) says where it does.
      this._historyBegun.add(name);
      if (
        this._buffer.lines.some(
          l => l.container !== null && l.container !== name
        )
      ) {
        lines.unshift({
          container: name,
          stream: 'stdout',
          text: `┄┄ ${name}: its history begins here ┄┄`,
          marker: true
        });
      }
    }
    this._buffer.push(lines);
    if (wider) {
      this._redraw();
    } else if (!this._hidden.has(name)) {
      this._write(lines);
    }
  }

  protected _write(lines: readonly ILogLine[]): void {
    const out = this._format(lines);
    if (out) {
      // Ten containers bring ten times the frames of one for the same lines: what comes
      // within a frame's time goes to the terminal as one write.
      this._pending += out;
      if (!this._pendingTimer) {
        this._pendingTimer = window.setTimeout(() => this._flushPending(), 16);
      }
    }
  }

  /** Write what is queued for the terminal now. */
  private _flushPending(): void {
    const text = this._pending;
    this._dropPending();
    if (text && !this.isDisposed) {
      this._logView.writeRaw(text);
    }
  }

  /** Forget what is queued (the view is cleared, or drawn again from the buffer). */
  private _dropPending(): void {
    window.clearTimeout(this._pendingTimer);
    this._pendingTimer = 0;
    this._pending = '';
  }

  /** Draw the buffer again: after hide/show, timestamps, a wider name or a theme change; a
   * record folded keeps its row. */
  protected _redraw(fold?: { uri: string; row: number }): void {
    this._dropPending();
    this._formatter.reset();
    this._formatter.options.timestamps = this._timestamps;
    const shown = this._buffer.lines.filter(
      line => line.container === null || !this._hidden.has(line.container)
    );
    // (What arrives while the view is drawn again waits, and goes after it.)
    this._logView.redraw(
      shown,
      lines => {
        this._write(lines);
        this._flushPending();
      },
      () => this._searchInput.value,
      fold
    );
  }

  /** A container's name, padded and in its colour, and the separator: once per name. */
  private _prefix(name: string): string {
    let prefix = this._prefixes.get(name);
    if (prefix === undefined) {
      const [r, g, b] = Private.channels(this.colorOf(name));
      prefix = `\x1b[38;2;${r};${g};${b}m${name.padEnd(this._width)} |${FG_OFF} `;
      this._prefixes.set(name, prefix);
    }
    return prefix;
  }

  /** Make room for a name; true when the names' column grew (the view is drawn again). */
  private _widen(name: string): boolean {
    if (name.length <= this._width) {
      return false;
    }
    this._width = name.length;
    this._prefixes.clear();
    return this._buffer.lines.length > 0;
  }

  /**
   * The colour slot of a container, kept for the view's life: from a hash of its name, the next
   * free one if another member has it. The five base colours go first, their bright variants
   * only once those are taken (as `docker compose` cycles through them).
   */
  private _slot(name: string): number {
    let slot = this._slots.get(name);
    if (slot === undefined) {
      const taken = new Set(this._slots.values());
      const half = MEMBER_COLOR_COUNT / 2;
      const h = Private.hash(name);
      const order: number[] = [];
      for (const offset of [0, half]) {
        for (let i = 0; i < half; i++) {
          order.push(offset + ((h + i) % half));
        }
      }
      slot = order.find(s => !taken.has(s)) ?? h % MEMBER_COLOR_COUNT;
      this._slots.set(name, slot);
    }
    return slot;
  }

  // ---- reacting to the connection --------------------------------------------------------

  protected _onConnected(): void {
    super._onConnected();
    const info = this.connection.groupInfo;
    if (info) {
      const label =
        info.kind === 'containers'
          ? Private.targetLabel(this.target)
          : info.name;
      this._nameNode.textContent = label;
      this.title.label = this._withEngine(label);
    }
  }

  private _onMembers(
    sender: ConsoleConnection,
    members: IContainerSummary[]
  ): void {
    let wider = false;
    for (const member of members) {
      this._slot(member.name);
      wider = this._widen(member.name) || wider;
    }
    this._renderMembers();
    if (wider) {
      this._redraw();
    }
  }

  private _onError(sender: ConsoleConnection, error: IErrorMessage): void {
    if (
      error.code === 'not_found' ||
      error.code === 'forbidden' ||
      error.code === 'invalid_message'
    ) {
      this._showOverlay(error.message);
    } else {
      this._notice(error.message);
    }
  }

  // ---- rendering --------------------------------------------------------------------------

  private _renderMembers(): void {
    const members = this.connection.members;
    const running = members.filter(m => m.state === 'running').length;
    const count = members.length;
    const kind = this.connection.groupInfo?.kind ?? Private.kindOf(this.target);
    const what = Private.KIND_NAMES[kind];
    const unit = kind === 'service' || kind === 'task' ? 'task' : 'container';
    this._metaNode.textContent = `${what} · ${count} ${unit}${count === 1 ? '' : 's'}, ${running} running`;

    const focused = (
      document.activeElement as HTMLElement | null
    )?.closest<HTMLElement>('.jp-LittleWings-member')?.dataset.name;
    const nodes = members.map(member => this._memberNode(member));
    if (!nodes.length) {
      const empty = document.createElement('span');
      empty.className = 'jp-LittleWings-membersEmpty';
      empty.textContent = this.connection.isConnected
        ? 'No container yet: containers appear here as they start.'
        : 'Connecting…';
      nodes.push(empty);
    }
    this._membersNode.replaceChildren(...nodes);
    if (focused !== undefined) {
      this._membersNode
        .querySelector<HTMLInputElement>(
          `.jp-LittleWings-member[data-name="${CSS.escape(focused)}"] input`
        )
        ?.focus();
    }
  }

  private _memberNode(member: IContainerSummary): HTMLElement {
    const removed = member.state === 'removed';
    const shown = !this._hidden.has(member.name);
    const node = document.createElement('div');
    node.className = 'jp-LittleWings-member';
    node.dataset.name = member.name;
    node.dataset.state = member.state ?? 'unknown';
    node.classList.toggle('jp-mod-removed', removed);
    node.classList.toggle('jp-mod-hidden', !shown);

    const label = document.createElement('label');
    label.className = 'jp-LittleWings-memberLabel';
    const toggle = document.createElement('input');
    toggle.type = 'checkbox';
    toggle.className = 'jp-LittleWings-memberToggle';
    toggle.checked = shown;
    toggle.setAttribute('aria-label', `Show the lines of ${member.name}`);
    const swatch = document.createElement('span');
    swatch.className = 'jp-LittleWings-swatch';
    swatch.style.backgroundColor = this.colorOf(member.name);
    const name = document.createElement('span');
    name.className = 'jp-LittleWings-memberName';
    name.textContent = member.name;
    label.append(toggle, swatch, name);

    const state = removed ? 'dead' : displayState(member);
    const stateLabel = removed ? 'Removed' : STATE_LABELS[state];
    node.title = [
      member.name,
      member.compose_service ? `Service: ${member.compose_service}` : '',
      member.image ? `Image: ${member.image}` : '',
      `State: ${stateLabel}`
    ]
      .filter(Boolean)
      .join('\n');
    node.append(label, stateNode(state, stateLabel));
    if (removed) {
      const note = document.createElement('span');
      note.className = 'jp-LittleWings-memberNote';
      note.textContent = 'removed';
      node.appendChild(note);
    }
    if (this._openContainer && !removed) {
      const open = iconButton('console', `Open the console of ${member.name}`);
      open.classList.add('jp-LittleWings-memberConsole');
      node.appendChild(open);
    }
    return node;
  }

  private _downloadLogs: MergedConsole.DownloadLogs | null;
  private _openContainer: ((name: string) => void) | null;
  private _pending = '';
  private _pendingTimer = 0;
  protected _formatter: LineFormatter;
  private _hidden = new Set<string>();
  private _slots = new Map<string, number>();
  private _prefixes = new Map<string, string>();
  /** The members whose history has begun (a first history line came). */
  private _historyBegun = new Set<string>();
  private _colors: string[] = new Array(MEMBER_COLOR_COUNT).fill('#888888');
  private _width = 0;
  private _membersNode!: HTMLDivElement;
  protected readonly _writer = 'the containers write';
}

export namespace MergedConsole {
  /** Fetch a group's logs and save them: one merged text file, or a zip of one per container. */
  export type DownloadLogs = (
    target: GroupTarget,
    format: 'text' | 'zip',
    timestamps: boolean
  ) => Promise<void>;

  export interface IOptions {
    /** A connection to a group; the console owns it and disposes it. */
    connection: ConsoleConnection;
    settings?: Partial<IConsoleSettings>;
    downloadLogs?: DownloadLogs;
    /** Open the console of one member (a button per member when given). */
    openContainer?: (name: string) => void;
  }
}

namespace Private {
  /** How the header names each kind of group. */
  export const KIND_NAMES: { [kind in IGroupInfo['kind']]: string } = {
    project: 'Compose project',
    pod: 'Podman pod',
    label: 'Label',
    service: 'Swarm service',
    task: 'Swarm task',
    containers: 'Containers'
  };

  export function kindOf(target: GroupTarget): IGroupInfo['kind'] {
    return 'service' in target
      ? 'service'
      : 'task' in target
        ? 'task'
        : 'project' in target
          ? 'project'
          : 'pod' in target
            ? 'pod'
            : 'label' in target
              ? 'label'
              : 'containers';
  }

  /** The tab's label: the project, the label, or the names listed. */
  export function targetLabel(target: GroupTarget): string {
    if ('service' in target) {
      return target.service;
    }
    if ('task' in target) {
      return target.task;
    }
    if ('project' in target) {
      return target.project;
    }
    if ('pod' in target) {
      return target.pod;
    }
    if ('label' in target) {
      return target.label;
    }
    const ids = target.server_ids;
    return ids.length <= 3 ? ids.join(', ') : `${ids.length} containers`;
  }

  export function targetCaption(target: GroupTarget): string {
    if ('service' in target) {
      return `the tasks of Swarm service ${target.service}`;
    }
    if ('task' in target) {
      return `Swarm task ${target.task}, on whatever node it runs`;
    }
    if ('project' in target) {
      return `Compose project ${target.project}`;
    }
    if ('pod' in target) {
      return `Podman pod ${target.pod}`;
    }
    if ('label' in target) {
      return `the containers labelled ${target.label}`;
    }
    return target.server_ids.join(', ');
  }

  /** FNV-1a: a stable hash of a name. */
  export function hash(text: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }

  export function channels(hex: string): [number, number, number] {
    const n = parseInt(hex.slice(1, 7), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
}

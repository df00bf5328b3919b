import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import {
  GroupTarget,
  IAlertMessage,
  IAlertRule,
  IConsoleTransport,
  ServerMessage
} from './console';

/** A container a user pinned for alerts: its name and engine ('' for the default one). */
export interface IPin {
  name: string;
  engine: string;
}

/** What is watched for alerts besides the pins: the consoles open now. */
export interface IWatched {
  /** Single consoles: a container's name (or id) and engine. */
  containers: IPin[];
  /** Merged views: their groups and engine. */
  groups: { target: GroupTarget; engine: string }[];
}

/** The alert settings (schema/plugin.json). */
export interface IAlertSettings {
  enabled: boolean;
  /** Regular expressions matched (case-insensitive) against every new line. */
  patterns: string[];
  /** Seconds between two alerts of one kind for one container. */
  cooldown: number;
}

export const DEFAULT_ALERT_SETTINGS: IAlertSettings = {
  enabled: true,
  patterns: [],
  cooldown: 60
};

const MESSAGE_LENGTH = 140; // JupyterLab cuts a notification's message there

/**
 * Alerts in JupyterLab: one `alerts` rule set on the sidebar's socket (docs/protocol.md,
 * "alerts") for the containers whose console is open and those the user pinned, with the
 * saved patterns; each `alert` frame becomes a JupyterLab notification (error for a death or
 * an OOM kill, warning for unhealthy or a pattern) with "Open console". The server holds
 * further alerts of a kind for a container for the cooldown (a restart loop alerts once).
 *
 * The rules are sent again on every (re)opened socket, and whenever the watched set changes.
 */
export class AlertsController implements IDisposable {
  constructor(options: AlertsController.IOptions) {
    this._socket = options.socket;
    this._watched = options.watched;
    this._defaultEngine = options.defaultEngine;
    this._openConsole = options.openConsole;
    this._socket.opened.connect(this._send, this);
    this._socket.messageReceived.connect(this._onMessage, this);
  }

  /** The pins changed (from here or from the settings). */
  get pinsChanged(): ISignal<this, IPin[]> {
    return this._pinsChanged;
  }

  get pins(): IPin[] {
    return [...this._pins.values()];
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  isPinned(name: string, engine: string): boolean {
    return this._pins.has(Private.key(name, engine));
  }

  /** Pin a container for alerts, or unpin it. */
  setPinned(name: string, engine: string, pinned: boolean): void {
    const key = Private.key(name, engine);
    if (pinned === this._pins.has(key)) {
      return;
    }
    if (pinned) {
      this._pins.set(key, { name, engine });
    } else {
      this._pins.delete(key);
    }
    this._pinsChanged.emit(this.pins);
    this.update();
  }

  /** The pins as the settings hold them (no event: they came from there). */
  setPins(pins: IPin[]): void {
    const next = new Map(pins.map(p => [Private.key(p.name, p.engine), p]));
    if ([...next.keys()].join('\n') === [...this._pins.keys()].join('\n')) {
      return;
    }
    this._pins = next;
    this.update();
  }

  setSettings(settings: IAlertSettings): void {
    this._settings = settings;
    this.update();
  }

  /** The rules the server gets now. */
  rules(): IAlertRule[] {
    if (!this._settings.enabled) {
      return [];
    }
    const events: IAlertRule['events'] = ['died', 'oom', 'unhealthy'];
    const patterns = this._settings.patterns.filter(p => p);
    const extra = patterns.length ? { patterns } : {};
    const engineOf = (engine: string) => engine || this._defaultEngine();
    const rules: IAlertRule[] = [];
    const seen = new Set<string>();
    const watched = this._watched();
    for (const c of [...this.pins, ...watched.containers]) {
      const key = Private.key(c.name, engineOf(c.engine));
      if (seen.has(key)) {
        continue;
      }
      seen.add(key);
      const engine = engineOf(c.engine);
      rules.push({
        server_id: c.name,
        ...(engine ? { engine } : {}),
        events,
        ...extra
      });
    }
    for (const { target, engine: given } of watched.groups) {
      const engine = engineOf(given);
      const on = engine ? { engine } : {};
      if ('project' in target) {
        rules.push({ project: target.project, ...on, events, ...extra });
      } else if ('pod' in target) {
        rules.push({ pod: target.pod, ...on, events, ...extra });
      } else if ('label' in target) {
        rules.push({ label: target.label, ...on, events, ...extra });
      } else if ('server_ids' in target) {
        for (const name of target.server_ids) {
          if (!seen.has(Private.key(name, engine))) {
            seen.add(Private.key(name, engine));
            rules.push({ server_id: name, ...on, events, ...extra });
          }
        }
      }
    }
    return rules;
  }

  /** Send the rules again soon (several changes in a row send once). */
  update(): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => this._send(), 100);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearTimeout(this._timer);
    this._socket.opened.disconnect(this._send, this);
    this._socket.messageReceived.disconnect(this._onMessage, this);
    Signal.clearData(this);
  }

  private _send(): void {
    const rules = this.rules();
    const text = JSON.stringify([rules, this._settings.cooldown]);
    const hello = this._socket.hello;
    // Once per socket (a new one starts without rules), and again when they change.
    if (text === this._sent && hello === this._sentOn) {
      return;
    }
    if (
      this._socket.send({
        type: 'alerts',
        id: `alerts-${++this._counter}`,
        rules,
        cooldown: this._settings.cooldown
      })
    ) {
      this._sent = text;
      this._sentOn = hello;
    }
  }

  private _onMessage(sender: IConsoleTransport, message: ServerMessage): void {
    if (message.type === 'alert') {
      this._notify(message);
    } else if (message.type === 'alerts') {
      this._lastError = '';
    } else if (
      message.type === 'error' &&
      String(message.id ?? '').startsWith('alerts-')
    ) {
      // A pattern the server refuses (not a regular expression, say): said once, not on
      // every resend.
      if (message.message === this._lastError) {
        return;
      }
      this._lastError = message.message;
      Notification.error(
        `Alerts: ${message.message}`.slice(0, MESSAGE_LENGTH),
        {
          autoClose: false
        }
      );
    }
  }

  private _notify(alert: IAlertMessage): void {
    const name = alert.container?.name ?? '';
    const engine =
      alert.container?.engine &&
      alert.container.engine !== this._defaultEngine()
        ? alert.container.engine
        : '';
    const held = alert.suppressed
      ? ` (${alert.suppressed} more held back)`
      : '';
    let head = alert.message || `${name}: ${alert.kind}`;
    if (alert.kind === 'died' && !/exit code/.test(head)) {
      head += ` (exit code ${alert.exit_code ?? '?'})`;
    }
    head += held;
    const last = alert.last_lines ?? [];
    const message = Private.withLastLines(head, last);
    const actions: Notification.IAction[] = [
      {
        label: 'Open console',
        caption: `Open the console of ${name}`,
        callback: () => this._openConsole(name, engine)
      }
    ];
    if (last.length) {
      actions.push({
        label: 'Last lines',
        caption: 'Show the last lines it wrote',
        displayType: 'link',
        callback: () => {
          const body = document.createElement('pre');
          body.className = 'jp-LittleWings-alertLines';
          body.textContent = last.join('\n');
          void showDialog({
            title: head,
            body: new Widget({ node: body }),
            buttons: [Dialog.okButton({ label: 'Close' })]
          });
        }
      });
    }
    const options = {
      autoClose: (alert.kind === 'died' || alert.kind === 'oom'
        ? false
        : 15000) as number | false,
      actions
    };
    if (alert.kind === 'died' || alert.kind === 'oom') {
      Notification.error(message, options);
    } else {
      Notification.warning(message, options);
    }
  }

  private _socket: IConsoleTransport;
  private _watched: () => IWatched;
  private _defaultEngine: () => string;
  private _openConsole: (name: string, engine: string) => void;
  private _pins = new Map<string, IPin>();
  private _settings: IAlertSettings = { ...DEFAULT_ALERT_SETTINGS };
  private _timer = 0;
  private _counter = 0;
  private _sent = '';
  private _lastError = '';
  private _sentOn: unknown = null;
  private _isDisposed = false;
  private _pinsChanged = new Signal<this, IPin[]>(this);
}

export namespace AlertsController {
  export interface IOptions {
    /** The sidebar's socket: the rules live as long as it does (and come again with it). */
    socket: IConsoleTransport;
    /** The consoles open now. */
    watched: () => IWatched;
    /** The default engine's name ('' before the list came). */
    defaultEngine: () => string;
    /** The notification's "Open console". */
    openConsole: (name: string, engine: string) => void;
  }
}

namespace Private {
  export function key(name: string, engine: string): string {
    return `${engine}\n${name}`;
  }

  /** The message and as much of the last lines as JupyterLab shows (140 characters). */
  export function withLastLines(head: string, last: string[]): string {
    let text = head.slice(0, MESSAGE_LENGTH);
    const tail: string[] = [];
    let room = MESSAGE_LENGTH - text.length - 1;
    for (let i = last.length - 1; i >= 0 && room > 8; i--) {
      const line = last[i].trim();
      if (!line) {
        continue;
      }
      const cut = line.length + 1 > room ? line.slice(0, room - 2) + '…' : line;
      tail.unshift(cut);
      room -= cut.length + 1;
    }
    if (tail.length) {
      text += '\n' + tail.join('\n');
    }
    return text;
  }
}

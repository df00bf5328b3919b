import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IErrorMessage, ServerMessage } from './protocol';
import { IConsoleTransport } from './socket';

/** Where a shell is in its life. */
export type ShellPhase =
  /** `shell_open` sent, no answer yet. */
  | 'opening'
  /** Running, and this client is attached. */
  | 'open'
  /** The socket dropped: the shell runs on and is taken back on reconnect. */
  | 'reattaching'
  /** The program exited or was hung up. */
  | 'ended'
  /** The server refused to open it (permissions, no such program, container not running). */
  | 'refused';

/** What to open: all optional, the server's defaults otherwise. */
export interface IShellRequest {
  /** An argv; the server's `shell_command`, else bash if present, else sh. */
  command?: string[];
  /** As `docker exec -u`. */
  user?: string;
  rows: number;
  cols: number;
  /** Take back a shell this user opened earlier (its id), e.g. after a page reload. */
  attach?: string;
}

/** How a shell ended, for the tab to show. */
export interface IShellEnd {
  reason: 'exited' | 'closed' | 'lost' | 'refused';
  exitCode?: number | null;
  message?: string;
}

/** The largest `shell_input` the server takes is 64 Ki characters; pastes go in pieces. */
const INPUT_CHUNK = 16 * 1024;

/** Acknowledge shown output in steps of this many characters (the server's window is 128 Ki). */
const ACK_STEP = 16 * 1024;

/**
 * One interactive shell over a console's channel: `shell_open`, input, resize, output, exit,
 * flow control (`shell_ack` once output is drawn) and `shell_attach` after a reconnect
 * (docs/protocol.md, "an interactive shell").
 *
 * Made by `ConsoleConnection.openShell`, which hands it the frames of its shell.
 */
export class ShellChannel implements IDisposable {
  constructor(
    private readonly _socket: IConsoleTransport,
    readonly requestId: string,
    request: IShellRequest
  ) {
    this._rows = request.rows;
    this._cols = request.cols;
    this.request = request;
    if (request.attach) {
      this._shellId = request.attach;
      this._phase = 'reattaching';
      // Sent now if the channel is open; otherwise when it opens (ConsoleConnection).
      this.reattach(requestId);
      return;
    }
    const message: { type: string; [key: string]: unknown } = {
      type: 'shell_open',
      id: requestId,
      rows: request.rows,
      cols: request.cols,
      flow_control: true
    };
    if (request.command?.length) {
      message.command = request.command;
    }
    if (request.user) {
      message.user = request.user;
    }
    // A console opened a moment ago (the sidebar's shell button) has no socket yet: the
    // request waits, and ConsoleConnection sends it once the socket opens and the console
    // connected (`sendOpen`).
    this._openMessage = message;
    this.sendOpen();
  }

  /** Whether `shell_open` still waits for the socket. */
  get waitingToOpen(): boolean {
    return this._openMessage !== null && this._phase === 'opening';
  }

  /** Send the `shell_open` that waits, if the socket takes it now. */
  sendOpen(): boolean {
    if (!this.waitingToOpen || !this._socket.send(this._openMessage!)) {
      return false;
    }
    this._openMessage = null;
    return true;
  }

  readonly request: IShellRequest;

  /** The server's id of the shell (null until it opened). */
  get shellId(): string | null {
    return this._shellId;
  }

  /** The argv that runs, as the server reported it. */
  get command(): string[] {
    return this._command;
  }

  get phase(): ShellPhase {
    return this._phase;
  }

  get end(): IShellEnd | null {
    return this._endInfo;
  }

  get rows(): number {
    return this._rows;
  }

  get cols(): number {
    return this._cols;
  }

  /** Terminal output, in order, as text. */
  get output(): ISignal<this, string> {
    return this._output;
  }

  get phaseChanged(): ISignal<this, ShellPhase> {
    return this._phaseChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Type keys or a paste. */
  write(data: string): void {
    if (this._phase !== 'open' || !this._shellId) {
      return;
    }
    for (let start = 0; start < data.length;) {
      let end = Math.min(data.length, start + INPUT_CHUNK);
      // Never cut a surrogate pair: each piece must be valid UTF-16 on its own.
      const last = data.charCodeAt(end - 1);
      if (end < data.length && last >= 0xd800 && last <= 0xdbff) {
        end -= 1;
      }
      this._socket.send({
        type: 'shell_input',
        shell: this._shellId,
        data: data.slice(start, end)
      });
      start = end;
    }
  }

  /** Give the terminal a new size (sent only when it changed). */
  resize(rows: number, cols: number): void {
    rows = Math.max(1, Math.min(1000, Math.floor(rows)));
    cols = Math.max(1, Math.min(1000, Math.floor(cols)));
    if (rows === this._rows && cols === this._cols) {
      return;
    }
    this._rows = rows;
    this._cols = cols;
    if (this._phase === 'open' && this._shellId) {
      this._socket.send({
        type: 'shell_resize',
        shell: this._shellId,
        rows,
        cols
      });
    }
  }

  /** The terminal drew `chars` more characters of output: let the server send more. */
  acknowledge(chars: number): void {
    this._shown += chars;
    if (this._shown >= ACK_STEP && this._phase === 'open' && this._shellId) {
      this._socket.send({
        type: 'shell_ack',
        shell: this._shellId,
        chars: this._shown
      });
      this._shown = 0;
    }
  }

  /** Hang up: the shell gets SIGHUP; a `shell_exit` with reason `closed` follows. */
  close(): void {
    this._closeRequested = true;
    if (this._shellId && this._phase === 'open') {
      this._socket.send({ type: 'shell_close', shell: this._shellId });
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this.close();
    this._isDisposed = true;
    Signal.clearData(this);
  }

  // ---- called by the connection ----------------------------------------------------------

  /** A frame about this shell (matched by request id or shell id). */
  handle(message: ServerMessage): void {
    const m = message as { type: string; [key: string]: unknown };
    switch (m.type) {
      case 'shell_opened':
      case 'shell_attached':
        this._shellId = String(m.shell);
        this._command = (m.command as string[]) ?? [];
        this._shown = 0;
        if (this._closeRequested) {
          // Closed (its tab, its console) before the server answered.
          this._socket.send({ type: 'shell_close', shell: this._shellId });
          return;
        }
        this._setPhase('open');
        if (m.rows !== this._rows || m.cols !== this._cols) {
          // The terminal changed size while the answer was on its way.
          this._socket.send({
            type: 'shell_resize',
            shell: this._shellId,
            rows: this._rows,
            cols: this._cols
          });
        }
        break;
      case 'shell_output':
        this._output.emit(String(m.data ?? ''));
        break;
      case 'shell_exit':
        this._end({
          reason: m.reason === 'closed' ? 'closed' : 'exited',
          exitCode: (m.exit_code as number | null) ?? null
        });
        break;
      case 'error': {
        const error = message as IErrorMessage;
        if (this._phase === 'opening') {
          this._end({ reason: 'refused', message: error.message });
        } else {
          this._end({ reason: 'lost', message: error.message });
        }
        break;
      }
      default:
        break;
    }
  }

  /** The channel dropped: wait to reattach. */
  detached(): void {
    if (this._phase === 'open') {
      this._setPhase('reattaching');
    } else if (this._phase === 'opening') {
      this._end({
        reason: 'lost',
        message: 'The connection dropped while the shell was opening.'
      });
    }
  }

  /** The channel is back: take the shell back (`shell_attach`); the request id to match. */
  reattach(requestId: string): boolean {
    if (this._phase !== 'reattaching' || !this._shellId) {
      return false;
    }
    return this._socket.send({
      type: 'shell_attach',
      id: requestId,
      shell: this._shellId,
      rows: this._rows,
      cols: this._cols,
      flow_control: true
    });
  }

  private _end(info: IShellEnd): void {
    if (this._phase === 'ended' || this._phase === 'refused') {
      return;
    }
    this._endInfo = info;
    this._setPhase(info.reason === 'refused' ? 'refused' : 'ended');
  }

  private _setPhase(phase: ShellPhase): void {
    if (phase !== this._phase) {
      this._phase = phase;
      this._phaseChanged.emit(phase);
    }
  }

  private _shellId: string | null = null;
  private _command: string[] = [];
  private _phase: ShellPhase = 'opening';
  private _endInfo: IShellEnd | null = null;
  private _openMessage: { type: string; [key: string]: unknown } | null = null;
  private _rows: number;
  private _cols: number;
  private _shown = 0;
  private _closeRequested = false;
  private _isDisposed = false;
  private _output = new Signal<this, string>(this);
  private _phaseChanged = new Signal<this, ShellPhase>(this);
}

/** Split a command line into an argv, as a POSIX shell would for plain words and quotes. */
export function splitCommand(text: string): string[] {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) {
        quote = null;
      } else if (c === '\\' && quote === '"' && i + 1 < text.length) {
        word += text[++i];
      } else {
        word += c;
      }
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) {
        argv.push(word);
        word = '';
        inWord = false;
      }
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) {
    argv.push(word);
  }
  return argv;
}

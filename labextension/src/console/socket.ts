import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IHelloMessage, ServerMessage } from './protocol';

/** Where a socket is in its life. */
export type ConnectionPhase = 'connecting' | 'open' | 'waiting' | 'closed';

/** The connection state the UI shows. */
export interface IConnectionStatus {
  phase: ConnectionPhase;
  /** How many attempts failed in a row (0 while open). */
  attempt: number;
  /** When `waiting`: the time (ms since epoch) of the next attempt. */
  retryAt?: number;
  /** Why the last socket closed, when it did. */
  reason?: string;
}

/** How to reach the server; everything a console needs from its host. */
export interface ISocketOptions {
  /** The WebSocket URL, asked again for every attempt. */
  url: () => string;
  /** First reconnect delay in ms (doubles each failure). */
  initialDelay?: number;
  /** Longest reconnect delay in ms. */
  maxDelay?: number;
  /** A WebSocket implementation (for tests). */
  webSocket?: typeof WebSocket;
}

/**
 * The channel a console talks over: frames of docs/protocol.md in both directions.
 *
 * In JupyterLab it is a {@link LittleWingsSocket} to the server extension; in a notebook widget
 * it is the widget's comm to the kernel, which owns the Docker streams (so the widget also works
 * where there is no Jupyter server WebSocket, e.g. in VS Code).
 */
export interface IConsoleTransport extends IDisposable {
  /** Emitted for every `hello`, i.e. every time the channel (re)opens. */
  readonly opened: ISignal<IConsoleTransport, IHelloMessage>;
  /** Emitted for every frame but `hello` and `heartbeat`. */
  readonly messageReceived: ISignal<IConsoleTransport, ServerMessage>;
  /** Emitted when the connection state changes. */
  readonly statusChanged: ISignal<IConsoleTransport, IConnectionStatus>;
  readonly status: IConnectionStatus;
  /** The last `hello`, or null before the first. */
  readonly hello: IHelloMessage | null;
  /** Open the channel, if not already open or opening. */
  start(): void;
  /** Send one frame; false when the channel is not open (the frame is dropped). */
  send(message: { type: string; [key: string]: unknown }): boolean;
  /** Skip a reconnect wait and try now. */
  retryNow(): void;
}

/**
 * What every transport shares: its signals, its connection state and the last `hello`.
 * Subclasses open and close the channel and call `_setStatus` / emit `_opened` and
 * `_messageReceived`.
 */
export abstract class ConsoleTransportBase implements IConsoleTransport {
  /** Emitted for every `hello`, i.e. every time the channel (re)opens. */
  get opened(): ISignal<this, IHelloMessage> {
    return this._opened;
  }

  /** Emitted for every frame but `hello` and `heartbeat`. */
  get messageReceived(): ISignal<this, ServerMessage> {
    return this._messageReceived;
  }

  /** Emitted when the connection state changes. */
  get statusChanged(): ISignal<this, IConnectionStatus> {
    return this._statusChanged;
  }

  get status(): IConnectionStatus {
    return this._status;
  }

  /** The last `hello`, or null before the first. */
  get hello(): IHelloMessage | null {
    return this._hello;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  abstract start(): void;
  abstract send(message: { type: string; [key: string]: unknown }): boolean;
  abstract retryNow(): void;
  abstract dispose(): void;

  protected _setStatus(status: IConnectionStatus): void {
    this._status = status;
    this._statusChanged.emit(status);
  }

  /**
   * Send heartbeats well within the session's idle timeout (any frame counts as activity), so
   * an open console stays alive while the user only reads.
   */
  /**
   * Hand a server frame on: a `hello` opens the channel (and starts its heartbeats), heartbeat
   * replies stay here, every other frame goes to `messageReceived`.
   */
  protected _dispatch(message: ServerMessage): void {
    if (message.type === 'hello') {
      this._hello = message;
      this._setStatus({ phase: 'open', attempt: 0 });
      this._startHeartbeat(message.limits?.idle_timeout);
      this._opened.emit(message);
      return;
    }
    if (message.type === 'heartbeat') {
      return;
    }
    this._messageReceived.emit(message);
  }

  protected _startHeartbeat(idleTimeout: number | undefined): void {
    this._stopHeartbeat();
    const seconds = Math.max(5, Math.min(60, (idleTimeout ?? 180) / 3));
    this._heartbeat = window.setInterval(() => {
      this.send({ type: 'heartbeat' });
    }, seconds * 1000);
  }

  protected _stopHeartbeat(): void {
    if (this._heartbeat) {
      window.clearInterval(this._heartbeat);
      this._heartbeat = 0;
    }
  }

  protected _hello: IHelloMessage | null = null;
  protected _heartbeat = 0;
  protected _isDisposed = false;
  protected _status: IConnectionStatus = { phase: 'closed', attempt: 0 };
  protected readonly _opened = new Signal<this, IHelloMessage>(this);
  protected readonly _messageReceived = new Signal<this, ServerMessage>(this);
  protected readonly _statusChanged = new Signal<this, IConnectionStatus>(this);
}

/**
 * A WebSocket to `api/littlewings/ws` that reconnects with backoff.
 *
 * Every (re)connection starts with a `hello` from the server: listeners of `opened` send what
 * the connection needs (connect, events...) again, so a server restart is invisible to them.
 */
export class LittleWingsSocket extends ConsoleTransportBase {
  constructor(options: ISocketOptions) {
    super();
    this._options = options;
    this._onOnline = () => this.retryNow();
    window.addEventListener('online', this._onOnline);
  }

  /** Open the socket, if not already open or opening. */
  start(): void {
    if (this._isDisposed || this._ws) {
      return;
    }
    this._clearTimer();
    this._setStatus({ phase: 'connecting', attempt: this._attempt });
    let ws: WebSocket;
    try {
      const Impl = this._options.webSocket ?? WebSocket;
      ws = new Impl(this._options.url());
    } catch (err) {
      this._scheduleRetry(String(err));
      return;
    }
    this._ws = ws;
    ws.onmessage = event => this._onMessage(event);
    ws.onclose = event => {
      if (this._ws !== ws) {
        return;
      }
      this._ws = null;
      this._stopHeartbeat();
      const reason = event.reason || Private.closeReason(event.code);
      this._scheduleRetry(reason);
    };
    ws.onerror = () => {
      // `onclose` follows and schedules the retry.
    };
  }

  /** Send one frame; false when the socket is not open (the frame is dropped). */
  send(message: { type: string; [key: string]: unknown }): boolean {
    if (!this._ws || this._ws.readyState !== WebSocket.OPEN || !this._hello) {
      return false;
    }
    this._ws.send(JSON.stringify(message));
    return true;
  }

  /** Skip the wait and try to reconnect now. */
  retryNow(): void {
    if (this._isDisposed || this._ws) {
      return;
    }
    this._attempt = Math.max(0, this._attempt - 1);
    this.start();
  }

  /** Close, and stay closed (no retries) until `start()` is called again. */
  stop(): void {
    this._clearTimer();
    this._stopHeartbeat();
    const ws = this._ws;
    this._ws = null;
    this._hello = null;
    this._attempt = 0;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close(1000);
    }
    this._setStatus({ phase: 'closed', attempt: 0 });
  }

  /** Close for good. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.removeEventListener('online', this._onOnline);
    this.stop();
    Signal.clearData(this);
  }

  private _onMessage(event: MessageEvent): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(event.data));
    } catch {
      return;
    }
    if (!message || typeof message.type !== 'string') {
      return;
    }
    if (message.type === 'hello') {
      this._attempt = 0;
    }
    this._dispatch(message);
  }

  private _scheduleRetry(reason: string): void {
    if (this._isDisposed) {
      return;
    }
    this._hello = null;
    const initial = this._options.initialDelay ?? 500;
    const max = this._options.maxDelay ?? 10000;
    const delay =
      Math.min(max, initial * 2 ** this._attempt) *
      (0.85 + Math.random() * 0.3);
    this._attempt += 1;
    const retryAt = Date.now() + delay;
    this._setStatus({
      phase: 'waiting',
      attempt: this._attempt,
      retryAt,
      reason
    });
    this._clearTimer();
    this._timer = window.setTimeout(() => {
      this._timer = 0;
      this.start();
    }, delay);
  }

  private _clearTimer(): void {
    if (this._timer) {
      window.clearTimeout(this._timer);
      this._timer = 0;
    }
  }

  private _options: ISocketOptions;
  private _ws: WebSocket | null = null;
  private _attempt = 0;
  private _timer = 0;
  private _onOnline: () => void;
}

namespace Private {
  /** A readable reason for a close code (docs/protocol.md, "Close codes"). */
  export function closeReason(code: number): string {
    switch (code) {
      case 1000:
        return 'closed';
      case 1001:
        return 'the server is stopping';
      case 1006:
        return 'connection lost';
      case 1009:
        return 'message too large';
      case 4001:
        return 'idle timeout';
      default:
        return `closed (${code})`;
    }
  }
}

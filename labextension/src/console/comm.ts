import { Signal } from '@lumino/signaling';

import { ServerMessage } from './protocol';
import { ConsoleTransportBase } from './socket';

/** The part of an anywidget (or ipywidgets) model the transport uses. */
export interface IWidgetModel {
  get(name: string): unknown;
  send(content: unknown): void;
  on(name: string, callback: (...args: never[]) => void): void;
  off(name: string, callback?: (...args: never[]) => void): void;
}

/**
 * The console's channel in a notebook widget: protocol frames over the widget's comm. The kernel
 * runs the server's session core, and each view is a session of it, as a WebSocket is of the
 * server: the same frames, limits and idle timeout (docs/protocol.md, "The notebook widget").
 *
 * A view sends `{view, frame}` (the client frame as JSON text); its first frame is
 * `{"type": "open"}` and its last `{"type": "close"}`. The kernel answers with custom messages
 * `{view}` whose first buffer is the server frame as UTF-8 JSON. A model may be shown in several
 * views (the same widget displayed twice): each has its own id, so its own session.
 */
export class WidgetCommTransport extends ConsoleTransportBase {
  constructor(model: IWidgetModel) {
    super();
    this._model = model;
    this._onCustom = (content: unknown, buffers?: unknown) =>
      this._onMessage(content, buffers);
    model.on('msg:custom', this._onCustom as (...args: never[]) => void);
  }

  /** This view's id: the kernel keeps one session per view. */
  readonly view = `v${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

  /**
   * Ask the kernel for a session (`hello`). Comm messages wait while the kernel runs another
   * cell, so the request is sent once: the answer comes when the kernel is free.
   */
  start(): void {
    if (this._isDisposed || this._ended || this._hello || this._requested) {
      return;
    }
    this._requested = true;
    this._setStatus({ phase: 'connecting', attempt: this._attempt });
    this._post({ type: 'open' });
  }

  send(message: { type: string; [key: string]: unknown }): boolean {
    if (this._isDisposed || !this._hello || this._ended) {
      return false;
    }
    this._post(message);
    return true;
  }

  retryNow(): void {
    if (this._timer) {
      window.clearTimeout(this._timer);
      this._timer = 0;
      this.start();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    if (this._hello && !this._ended) {
      this._post({ type: 'close' }); // the kernel lets this view's streams go at once
    }
    this._isDisposed = true;
    this._stopHeartbeat();
    if (this._timer) {
      window.clearTimeout(this._timer);
    }
    this._model.off('msg:custom', this._onCustom as (...args: never[]) => void);
    this._setStatus({ phase: 'closed', attempt: 0 });
    Signal.clearData(this);
  }

  private _post(frame: { type: string; [key: string]: unknown }): void {
    this._model.send({ view: this.view, frame: JSON.stringify(frame) });
  }

  private _onMessage(content: unknown, buffers: unknown): void {
    if (this._isDisposed || !content || typeof content !== 'object') {
      return;
    }
    if ((content as { view?: unknown }).view !== this.view) {
      return;
    }
    const message = Private.decode(buffers);
    if (!message) {
      return;
    }
    if ((message.type as string) === 'closed') {
      this._onClosed(message as unknown as { code?: number; reason?: string });
      return;
    }
    if (message.type === 'hello') {
      this._attempt = 0;
    }
    this._dispatch(message);
  }

  /** The kernel ended this view's session: for good, or (idle, restart) to be opened again. */
  private _onClosed(frame: { code?: number; reason?: string }): void {
    this._hello = null;
    this._requested = false;
    this._stopHeartbeat();
    if (frame.code === undefined) {
      // The kernel side was closed (w.close(), the cell ran again): nothing more will come.
      this._ended = true;
      this._setStatus({
        phase: 'closed',
        attempt: 0,
        reason: frame.reason || 'the widget was closed in the kernel'
      });
      return;
    }
    this._attempt += 1;
    const delay = Math.min(10000, 500 * 2 ** this._attempt);
    this._setStatus({
      phase: 'waiting',
      attempt: this._attempt,
      retryAt: Date.now() + delay,
      reason: frame.reason || `closed (${frame.code})`
    });
    this._timer = window.setTimeout(() => {
      this._timer = 0;
      this.start();
    }, delay);
  }

  private _model: IWidgetModel;
  private _onCustom: (content: unknown, buffers?: unknown) => void;
  private _requested = false;
  private _ended = false;
  private _attempt = 0;
  private _timer = 0;
}

namespace Private {
  const decoder = new TextDecoder();

  /** The server frame in a custom message's first buffer (DataView or ArrayBuffer). */
  export function decode(buffers: unknown): ServerMessage | null {
    const first = Array.isArray(buffers) ? buffers[0] : undefined;
    if (!first) {
      return null;
    }
    try {
      const bytes = ArrayBuffer.isView(first)
        ? new Uint8Array(first.buffer, first.byteOffset, first.byteLength)
        : new Uint8Array(first as ArrayBuffer);
      const message = JSON.parse(decoder.decode(bytes));
      return message && typeof message.type === 'string' ? message : null;
    } catch {
      return null;
    }
  }
}

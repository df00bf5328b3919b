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
 * The console's channel in a notebook widget: protocol frames as custom messages of the widget's
 * comm. The kernel owns the Docker streams and answers with the frames a LittleWings server sends.
 *
 * A model may be shown in several views (the same widget displayed twice): every frame a view
 * sends carries its `view` id, and replies meant for one view (its `hello`, `connected`, history,
 * command output) carry it back; frames without `view` (live lines, status, stats) are for all.
 */
export class WidgetCommTransport extends ConsoleTransportBase {
  constructor(model: IWidgetModel) {
    super();
    this._model = model;
    this._onCustom = (content: unknown) => this._onMessage(content);
    model.on('msg:custom', this._onCustom as (...args: never[]) => void);
  }

  /** This view's id, echoed by the kernel in the frames meant for it alone. */
  readonly view = `v${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

  /**
   * Ask the kernel for a `hello`. Comm messages wait while the kernel runs another cell, so the
   * request is sent once: the answer comes when the kernel is free (logs flow meanwhile).
   */
  start(): void {
    if (this._isDisposed || this._ended || this._hello || this._requested) {
      return;
    }
    this._requested = true;
    this._setStatus({ phase: 'connecting', attempt: 0 });
    this._model.send({ type: 'open', view: this.view });
  }

  send(message: { type: string; [key: string]: unknown }): boolean {
    if (this._isDisposed || !this._hello || this._ended) {
      return false;
    }
    this._model.send({ ...message, view: this.view });
    return true;
  }

  retryNow(): void {
    // Nothing to retry: the comm is kept by the widget manager and never drops a message.
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._model.off('msg:custom', this._onCustom as (...args: never[]) => void);
    this._setStatus({ phase: 'closed', attempt: 0 });
    Signal.clearData(this);
  }

  private _onMessage(content: unknown): void {
    if (this._isDisposed || !content || typeof content !== 'object') {
      return;
    }
    const message = content as ServerMessage & { view?: string };
    if (typeof message.type !== 'string') {
      return;
    }
    if (message.view !== undefined && message.view !== this.view) {
      return;
    }
    if (message.type === 'hello') {
      if (this._hello) {
        return;
      }
      this._hello = message;
      this._setStatus({ phase: 'open', attempt: 0 });
      this._opened.emit(message);
      return;
    }
    if ((message.type as string) === 'closed') {
      // The kernel side was closed (w.close(), the cell ran again): nothing more will come.
      this._ended = true;
      this._hello = null;
      this._setStatus({
        phase: 'closed',
        attempt: 0,
        reason: 'the widget was closed in the kernel'
      });
      return;
    }
    this._messageReceived.emit(message);
  }

  private _model: IWidgetModel;
  private _onCustom: (content: unknown) => void;
  private _requested = false;
  private _ended = false;
}

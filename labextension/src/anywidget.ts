/**
 * The notebook widget's front end (an anywidget ESM module, bundled by esbuild into
 * littlewings_jupyter/static/console-widget.js): the JupyterLab console panel, talking to the
 * kernel over the widget's comm instead of a WebSocket.
 */
import { Widget } from '@lumino/widgets';

import {
  ConsoleConnection,
  ContainerConsole,
  DEFAULT_CONSOLE_SETTINGS,
  IWidgetModel,
  MergedConsole,
  WidgetCommTransport,
  groupTarget
} from './console';

/** What anywidget passes to `render`. */
interface IRenderProps {
  model: IWidgetModel;
  el: HTMLElement;
}

function render({ model, el }: IRenderProps): () => void {
  el.classList.add('jp-LittleWings-widget');
  const host = document.createElement('div');
  host.className = 'jp-LittleWings-widgetHost';
  const setHeight = () => {
    host.style.height = String(model.get('height') || '420px');
  };
  setHeight();
  el.appendChild(host);

  const tail = Number(model.get('tail') ?? DEFAULT_CONSOLE_SETTINGS.tail);
  const stats = model.get('stats') !== false;
  const transport = new WidgetCommTransport(model);
  const scrollback = Number(
    model.get('scrollback') ?? DEFAULT_CONSOLE_SETTINGS.scrollback
  );
  // `group` ({} for one container, else {project}, {label} or {server_ids}): merged logs.
  const raw = model.get('group');
  const group =
    raw && typeof raw === 'object'
      ? groupTarget(raw as { [key: string]: unknown })
      : null;
  // The Docker engine ('' for the default one): the kernel's handle knows it as well.
  const engine = String(model.get('engine') ?? '');
  let view: ContainerConsole | MergedConsole;
  if (group) {
    const connection = new ConsoleConnection({
      group,
      engine,
      watch: { tail, timestamps: true, stats: false },
      socket: transport
    });
    view = new MergedConsole({
      connection,
      settings: { scrollback, tail }
    });
  } else {
    const connection = new ConsoleConnection({
      serverId: String(model.get('container')),
      engine,
      watch: { tail, timestamps: false, stats },
      socket: transport
    });
    const instance = String(model.get('_instance') ?? '');
    view = new ContainerConsole({
      connection,
      // A view's shells run in the kernel: after a reload, this widget's new view takes them
      // back.
      shellStorageKey: instance
        ? `littlewings:widget-shells:${instance}:${String(model.get('container'))}`
        : null,
      settings: { scrollback, tail, stats }
    });
  }
  view.title.closable = false;

  const onScrollback = () =>
    view.updateSettings({ scrollback: Number(model.get('scrollback')) });
  model.on('change:scrollback', onScrollback);
  model.on('change:height', setHeight);

  // Lumino attaches only to a node in the document; the output area may add `el` a moment later.
  let frame = 0;
  const attach = () => {
    frame = 0;
    if (view.isDisposed) {
      return;
    }
    if (host.isConnected) {
      Widget.attach(view, host);
    } else {
      frame = window.requestAnimationFrame(attach);
    }
  };
  attach();

  return () => {
    if (frame) {
      window.cancelAnimationFrame(frame);
    }
    model.off('change:scrollback', onScrollback);
    model.off('change:height', setHeight);
    view.dispose();
    transport.dispose();
  };
}

export default { render };

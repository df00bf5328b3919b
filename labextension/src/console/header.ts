/**
 * The header both consoles (one container's, a merged view's) put above their logs: what is
 * watched, on which engine, a line about it, and the connection badge. Each console adds its own
 * parts before the title (the state, the merged icon) and after it (stats, power, pin).
 */
import { IConnectionStatus } from './socket';

/** What differs between the consoles' headers. */
export interface IConsoleHeaderOptions {
  /** Before the title: the container's state, or the merged view's icon. */
  lead: HTMLElement;
  /** The class of the name's node. */
  nameClass: string;
  /** The class of the meta line's node. */
  metaClass: string;
  /** The engine when it is not the default one ('' otherwise): shown after the name. */
  engine: string;
  /** In the title after the meta line (the published ports). */
  titleEnd?: HTMLElement[];
  /** After the title, before the connection badge (stats, power buttons, pin). */
  trail?: HTMLElement[];
  /** The badge was clicked while waiting to reconnect. */
  retry: () => void;
}

/** The header, and the parts of it its console updates. */
export interface IConsoleHeader {
  node: HTMLDivElement;
  nameNode: HTMLSpanElement;
  metaNode: HTMLSpanElement;
  connectionNode: HTMLButtonElement;
}

export function consoleHeader(options: IConsoleHeaderOptions): IConsoleHeader {
  const node = document.createElement('div');
  node.className = 'jp-LittleWings-consoleHeader';
  const title = document.createElement('div');
  title.className = 'jp-LittleWings-consoleTitle';
  const nameNode = document.createElement('span');
  nameNode.className = options.nameClass;
  const metaNode = document.createElement('span');
  metaNode.className = options.metaClass;
  title.append(nameNode);
  if (options.engine) {
    // Not the default engine: say which one (the same name may be on several).
    const engine = document.createElement('span');
    engine.className = 'jp-LittleWings-consoleEngine';
    engine.textContent = options.engine;
    engine.title = `On the Docker engine ${options.engine}`;
    title.append(engine);
  }
  title.append(metaNode, ...(options.titleEnd ?? []));

  const connectionNode = document.createElement('button');
  connectionNode.type = 'button';
  connectionNode.className = 'jp-LittleWings-connection';
  connectionNode.addEventListener('click', () => options.retry());

  node.append(options.lead, title, ...(options.trail ?? []), connectionNode);
  return { node, nameNode, metaNode, connectionNode };
}

/**
 * The connection badge: Live, Connecting…, Reconnecting… (with when, and a click to retry now)
 * or Closed. `writer` says who writes the lines, e.g. "the container writes".
 */
export function renderConnection(
  node: HTMLButtonElement,
  status: IConnectionStatus,
  writer: string
): void {
  node.dataset.phase = status.phase;
  let text: string;
  let title: string;
  switch (status.phase) {
    case 'open':
      text = 'Live';
      title = `Connected: new lines appear as ${writer} them`;
      break;
    case 'connecting':
      text = 'Connecting…';
      title = 'Connecting to the Jupyter server';
      break;
    case 'waiting': {
      const seconds = Math.max(
        1,
        Math.round(((status.retryAt ?? Date.now()) - Date.now()) / 1000)
      );
      text = 'Reconnecting…';
      title = `Disconnected (${status.reason ?? 'closed'}); next attempt in ${seconds} s. Click to retry now.`;
      break;
    }
    default:
      text = 'Closed';
      title = 'Not connected';
  }
  const dot = document.createElement('span');
  dot.className = 'jp-LittleWings-dot';
  node.replaceChildren(dot, document.createTextNode(text));
  node.title = title;
  node.setAttribute('aria-label', `Connection: ${text}`);
  node.disabled = status.phase !== 'waiting';
}

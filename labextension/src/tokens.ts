/**
 * What this extension offers other JupyterLab extensions: the containers model (every visible
 * container of every Docker engine, live from Docker's events) and the tracker of container
 * consoles. Another extension asks for them by token, e.g.
 *
 * ```ts
 * const plugin: JupyterFrontEndPlugin<void> = {
 *   id: 'my-extension:plugin',
 *   autoStart: true,
 *   requires: [IContainersModel],
 *   activate: (app, model: IContainersModel) => {
 *     model.changed.connect(() => console.log(model.containers.length, 'containers'));
 *   }
 * };
 * ```
 *
 * A token is an object: the other extension gets these ones only if both load the one copy of
 * this package. Nothing in this package's `package.json` is needed for that: the extension
 * builder (`@jupyter/builder`) shares a prebuilt extension's own package as a singleton, from
 * its `main` module, and reports an error if the package lists itself in `sharedPackages`. The
 * other extension depends on `littlewings-jupyter` in its `package.json` and, as JupyterLab's
 * guide says for requiring a service ("Deduplication of Dependencies"), lists it as a singleton
 * it does not bundle, so that it uses this extension's copy:
 *
 * ```json
 * "dependencies": { "littlewings-jupyter": "^0.1.0" },
 * "jupyterlab": {
 *   "sharedPackages": {
 *     "littlewings-jupyter": { "bundled": false, "singleton": true }
 *   }
 * }
 * ```
 *
 * An extension that takes the model only if it is there (`optional: [IContainersModel]`) lists
 * it as `{ "singleton": true }` alone, as the guide says for optional services: it then bundles
 * a copy for when this extension is not installed.
 *
 * This module holds interfaces and tokens only (no code of the extension runs on import).
 */
import { IWidgetTracker } from '@jupyterlab/apputils';
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import type { IEngineStatus } from './api';
import type {
  ContainerConsole,
  IConnectionStatus,
  IContainerSummary,
  IPermissions,
  PowerAction
} from './console';
import type { IEngineState, IServiceSummary } from './containerlist';

/**
 * The containers of the server's Docker engines, their engines and Swarm services, and the
 * server's status: loaded over REST (`api.ts`), then kept live by the events of the
 * extension's WebSocket. The Containers sidebar is a view of it.
 */
export interface IContainersModel extends IDisposable {
  /** Emitted when anything of the model changes; the argument says what. */
  readonly changed: ISignal<IContainersModel, IContainersModel.Change>;
  /** Emitted when the events socket opens, waits to reconnect or closes. */
  readonly connectionChanged: ISignal<IContainersModel, IConnectionStatus>;
  /** The events socket's state (changes are live only while it is open). */
  readonly connection: IConnectionStatus;
  /** All containers, as last known (in no particular order; see `ordered`). */
  readonly containers: IContainerSummary[];
  /** The Docker engines, the default first, as last known. */
  readonly engines: IEngineState[];
  /** The name of the default engine ('' before the list came). */
  readonly defaultEngine: string;
  /** The Swarm services of the engines that are Swarm managers, by engine. */
  readonly services: ReadonlyMap<string, IServiceSummary[]>;
  /** What the user may do on this server (before the status came: everything). */
  readonly permissions: IPermissions;
  /** The server's last status answer, or null before it. */
  readonly status: IEngineStatus | null;
  /** Why there is no list (no engine, no permission, no server extension), or null. */
  readonly problem: IContainersModel.Problem;
  /** Whether a first load ended (well or not). */
  readonly loaded: boolean;
  /** Whether a load of the whole list is under way. */
  readonly loading: boolean;
  /** The containers in the order the sidebar shows them (engines, projects, names). */
  ordered(): IContainerSummary[];
  /** A container by its key (`containerKey`: engine and id). */
  get(key: string): IContainerSummary | undefined;
  /**
   * Find a container by id, id prefix or name; on `engine` ('' or absent: any engine, the
   * default one first).
   */
  find(idOrName: string, engine?: string): IContainerSummary | null;
  /** The engine to name in a request for this container: '' for the default engine. */
  engineOf(
    container: Pick<IContainerSummary, 'engine'> | null | undefined
  ): string;
  /** Whether a power action is in flight for this container. */
  isBusy(container: IContainerSummary): boolean;
  /** Load the status and the whole list again. */
  refresh(): Promise<void>;
  /** Start, stop, restart… a container; rejects with the server's error. */
  power(container: IContainerSummary, action: PowerAction): Promise<void>;
}

export namespace IContainersModel {
  /**
   * What changed: `containers` (containers, engines or services, live), `busy` (a power
   * action began or ended), `loading` (a load of the whole list began), `refreshed` (it
   * ended: the list, the status and the problem are new).
   */
  export type Change = 'containers' | 'busy' | 'loading' | 'refreshed';

  /** Why the list cannot be shown. */
  export type Problem =
    | { kind: 'engine'; detail: string }
    | { kind: 'forbidden'; detail: string }
    | { kind: 'server'; detail: string }
    | null;
}

/** The token of the containers model (provided by `littlewings-jupyter:plugin`). */
export const IContainersModel = new Token<IContainersModel>(
  'littlewings-jupyter:IContainersModel',
  'The containers of the Docker engines the Jupyter server sees, live from their events.'
);

/** The tracker of the consoles of single containers (one tab per container). */
export type IContainerConsoleTracker = IWidgetTracker<ContainerConsole>;

/** The token of the container consoles' tracker (`littlewings-jupyter:console-tracker`). */
export const IContainerConsoleTracker = new Token<IContainerConsoleTracker>(
  'littlewings-jupyter:IContainerConsoleTracker',
  'The consoles of single containers: each has its connection (`widget.connection`).'
);

/**
 * The ids of the commands this extension adds (`app.commands.execute(CommandIDs.openConsole,
 * { id: 'web' })`); their arguments are in commands.ts and consolecommands.ts.
 */
export namespace CommandIDs {
  export const openConsole = 'littlewings:open-console';
  export const openShell = 'littlewings:open-shell';
  export const openProjectLogs = 'littlewings:open-project-logs';
  export const openMergedLogs = 'littlewings:open-merged-logs';
  export const newContainer = 'littlewings:new-container';
  export const removeContainer = 'littlewings:remove-container';
  export const browseFiles = 'littlewings:browse-files';
  export const showContainers = 'littlewings:show-containers';
  export const refresh = 'littlewings:refresh';
  export const power = 'littlewings:power';
  export const projectPower = 'littlewings:project-power';
  export const copyId = 'littlewings:copy-id';
  export const copyName = 'littlewings:copy-name';
  export const find = 'littlewings:console-find';
  export const clear = 'littlewings:console-clear';
  export const toggleTimestamps = 'littlewings:console-toggle-timestamps';
  export const download = 'littlewings:console-download';
  export const togglePin = 'littlewings:toggle-pin';
  export const openArchivedLogs = 'littlewings:open-archived-logs';
}

/**
 * The JupyterLab plugins: `littlewings-jupyter:plugin` makes the containers model, the
 * Containers sidebar, the alerts and the commands (commands.ts, consolecommands.ts), and
 * provides the model to
 * other extensions (`IContainersModel`, tokens.ts); `littlewings-jupyter:console-tracker`
 * provides the tracker of container consoles (`IContainerConsoleTracker`).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { AlertsController } from './alerts';
import { fetchStatus, websocketUrl } from './api';
import { RemovedContainers } from './archive';
import {
  CommandIDs,
  addCommands,
  addContextMenuItems,
  addPaletteItems
} from './commands';
import { addConsoleCommands } from './consolecommands';
import {
  ContainerConsole,
  DEFAULT_CONSOLE_SETTINGS,
  IConsoleSettings,
  IContainerSummary,
  LittleWingsSocket,
  MergedConsole,
  groupKey
} from './console';
import { ContainerFiles } from './filebrowser';
import { containersIcon } from './labicons';
import { ContainersModel } from './model';
import { readAlertSettings, readPins, readSettings } from './settings';
import { ContainersPanel } from './sidebar';
import { IContainerConsoleTracker, IContainersModel } from './tokens';

export * from './tokens';

const PLUGIN_ID = 'littlewings-jupyter:plugin';

/** The tracker of container consoles, for this extension's commands and for others. */
const trackerPlugin: JupyterFrontEndPlugin<IContainerConsoleTracker> = {
  id: 'littlewings-jupyter:console-tracker',
  description: 'The tracker of the consoles of single Docker containers.',
  autoStart: true,
  provides: IContainerConsoleTracker,
  activate: (): IContainerConsoleTracker =>
    new WidgetTracker<ContainerConsole>({ namespace: 'littlewings-console' })
};

const plugin: JupyterFrontEndPlugin<IContainersModel> = {
  id: PLUGIN_ID,
  description: 'A Containers sidebar and a live console per Docker container.',
  autoStart: true,
  provides: IContainersModel,
  requires: [IContainerConsoleTracker],
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ISettingRegistry,
    IFileBrowserFactory
  ],
  activate: (
    app: JupyterFrontEnd,
    consoleTracker: IContainerConsoleTracker,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    browserFactory: IFileBrowserFactory | null
  ): IContainersModel => {
    const { commands, shell } = app;
    let settings: IConsoleSettings = { ...DEFAULT_CONSOLE_SETTINGS };
    // Published ports open through jupyter-server-proxy when the server has it.
    let portProxy: string | null = null;
    void fetchStatus()
      .then(status => {
        portProxy = status.portProxy;
      })
      .catch(() => undefined);

    // The tracker plugin above made it: a WidgetTracker, which this plugin adds consoles to.
    const tracker = consoleTracker as WidgetTracker<ContainerConsole>;
    const mergedTracker = new WidgetTracker<MergedConsole>({
      namespace: 'littlewings-merged'
    });

    // The sidebar's socket carries Docker's events, and the alert rules (alerts.ts).
    const socket = new LittleWingsSocket({ url: () => websocketUrl() });
    const model = new ContainersModel({ transport: socket });
    // A container is named by its name (or id) and its engine ('' for the default one).
    const containerArgs = (c: IContainerSummary) => ({
      id: c.name || c.id,
      engine: model.engineOf(c)
    });
    const panel = new ContainersPanel({
      model,
      onOpen: c =>
        void commands.execute(CommandIDs.openConsole, containerArgs(c)),
      onShell: c =>
        void commands.execute(CommandIDs.openShell, containerArgs(c)),
      onCreate: engine =>
        void commands.execute(CommandIDs.newContainer, { engine }),
      onProjectLogs: (name, engine, kind) =>
        void commands.execute(CommandIDs.openProjectLogs, {
          [kind]: name,
          engine
        }),
      onMergedLogs: containers =>
        void commands.execute(CommandIDs.openMergedLogs, {
          server_ids: containers.map(c => c.name || c.id),
          engine: model.engineOf(containers[0])
        }),
      onServiceLogs: (service, engine) =>
        void commands.execute(CommandIDs.openMergedLogs, { service, engine }),
      onTaskLogs: (task, engine) =>
        void commands.execute(CommandIDs.openMergedLogs, { task, engine })
    });
    const alerts = new AlertsController({
      socket,
      watched: () => ({
        containers: tracker
          .filter(w => !w.isDisposed)
          .map(w => ({
            name: w.connection.container?.name || w.connection.serverId,
            engine: w.connection.engine
          })),
        groups: mergedTracker
          .filter(w => !w.isDisposed)
          .map(w => ({ target: w.target, engine: w.connection.engine }))
      }),
      defaultEngine: () => model.defaultEngine,
      openConsole: (name, engine) =>
        void commands.execute(CommandIDs.openConsole, { id: name, engine })
    });
    const watchForAlerts = (widget: ContainerConsole | MergedConsole) => {
      alerts.update();
      widget.disposed.connect(() => alerts.update());
    };
    tracker.widgetAdded.connect((_, widget) => {
      watchForAlerts(widget);
      // The name is known once connected (the console may have been opened by id).
      widget.connection.containerChanged.connect(() => alerts.update());
    });
    mergedTracker.widgetAdded.connect((_, widget) => watchForAlerts(widget));
    model.changed.connect(() => alerts.update());
    panel.changed.connect(() => alerts.update());
    panel.id = 'littlewings-containers';
    panel.title.icon = containersIcon;
    panel.title.caption = 'Containers';
    shell.add(panel, 'left', { rank: 650 });
    restorer?.add(panel, 'littlewings-containers');

    // Removed containers whose logs the archive keeps (archive.ts), under the list.
    const removedContainers = new RemovedContainers({
      socket,
      onOpen: c =>
        void commands.execute(CommandIDs.openArchivedLogs, { id: c.id })
    });
    panel.node.appendChild(removedContainers.node);

    const commandsOptions = {
      model,
      panel,
      tracker,
      mergedTracker,
      alerts,
      removedContainers,
      // Before JupyterLab restores its tabs: the drives of a container's open files.
      files: new ContainerFiles(app, browserFactory),
      settings: () => settings,
      portProxy: () => portProxy
    };
    addCommands(app, commandsOptions);
    addConsoleCommands(app, commandsOptions);
    addContextMenuItems(app);
    if (palette) {
      addPaletteItems(palette);
    }

    if (restorer) {
      // A console of another engine than the default one comes back on its engine.
      void restorer.restore(tracker, {
        command: CommandIDs.openConsole,
        args: widget => ({
          id: widget.connection.serverId,
          engine: widget.connection.engine,
          activate: false
        }),
        name: widget =>
          widget.connection.engine
            ? `${widget.connection.engine}/${widget.connection.serverId}`
            : widget.connection.serverId
      });
      void restorer.restore(mergedTracker, {
        command: CommandIDs.openMergedLogs,
        args: widget => ({
          ...widget.target,
          engine: widget.connection.engine,
          activate: false
        }),
        name: widget => groupKey(widget.target, widget.connection.engine)
      });
    }

    if (settingRegistry) {
      const apply = (loaded: ISettingRegistry.ISettings) => {
        settings = readSettings(loaded.composite);
        tracker.forEach(widget => widget.updateSettings(settings));
        mergedTracker.forEach(widget => widget.updateSettings(settings));
        alerts.setSettings(readAlertSettings(loaded.composite));
        alerts.setPins(readPins(loaded.composite.alertPins));
      };
      settingRegistry
        .load(PLUGIN_ID)
        .then(loaded => {
          apply(loaded);
          loaded.changed.connect(apply);
          // Pins are kept in the settings (the settings editor shows them too).
          alerts.pinsChanged.connect((_, pins) => {
            void loaded
              .set(
                'alertPins',
                pins.map(p => ({ name: p.name, engine: p.engine }))
              )
              .catch(reason =>
                console.error('littlewings-jupyter: cannot save pins', reason)
              );
          });
        })
        .catch(reason =>
          console.error('littlewings-jupyter: cannot load settings', reason)
        );
    }
    return model;
  }
};

export default [trackerPlugin, plugin];

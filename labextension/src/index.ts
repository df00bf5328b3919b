import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  ICommandPalette,
  InputDialog,
  WidgetTracker,
  showErrorMessage
} from '@jupyterlab/apputils';
import { IFileBrowserFactory, Uploader } from '@jupyterlab/filebrowser';
import { MessageLoop } from '@lumino/messaging';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import {
  LabIcon,
  ToolbarButton,
  fileIcon,
  folderIcon,
  newFolderIcon,
  refreshIcon
} from '@jupyterlab/ui-components';

import {
  AlertsController,
  DEFAULT_ALERT_SETTINGS,
  IAlertSettings,
  IPin
} from './alerts';
import {
  IArchivedContainer,
  downloadLogs,
  downloadMergedLogs,
  fetchArchive,
  fetchStatus,
  websocketUrl
} from './api';
import { ArchivedLogs, RemovedContainers } from './archive';
import {
  ConsoleConnection,
  ContainerConsole,
  DEFAULT_CONSOLE_SETTINGS,
  GroupTarget,
  IConsoleSettings,
  IContainerSummary,
  LittleWingsSocket,
  MergedConsole,
  POWER_ACTIONS,
  PowerAction,
  actionAllowed,
  actionLabel,
  groupKey,
  groupTarget
} from './console';
import { ContainerDrive } from './drive';
import { newContainerDialog, removeContainerDialog } from './manage';
import { ContainersModel } from './model';
import { ContainersPanel } from './sidebar';

/** The ids of the commands this extension adds. */
namespace CommandIDs {
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

const PLUGIN_ID = 'littlewings-jupyter:plugin';

/** The sidebar's icon: three stacked containers. */
const containersIcon = new LabIcon({
  name: 'littlewings-jupyter:containers',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161"><path d="M3 14.5h8v6H3zm1.5 1.5v3h5v-3zM13 14.5h8v6h-8zm1.5 1.5v3h5v-3zM8 7h8v6H8zm1.5 1.5v3h5v-3z"/><path d="M10.5 2.5h3v3h-3z" opacity=".6"/></g></svg>'
});

/** The console tab's icon. */
const consoleIcon = new LabIcon({
  name: 'littlewings-jupyter:console',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161"><path d="M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm0 2v12h16V6zm2.3 3.4 1.4-1.4 4 4-4 4-1.4-1.4L8.9 12zM12 15h6v2h-6z"/></g></svg>'
});

/** A shell's icon: a prompt. */
const shellIcon = new LabIcon({
  name: 'littlewings-jupyter:shell',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16"><g class="jp-icon3" fill="none" stroke="#616161" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"><path d="m2.5 4.5 3.5 3.5-3.5 3.5M7.5 12.5h6"/></g></svg>'
});

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'A Containers sidebar and a live console per Docker container.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ISettingRegistry,
    IFileBrowserFactory
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    browserFactory: IFileBrowserFactory | null
  ) => {
    const { commands, shell } = app;
    let settings: IConsoleSettings = { ...DEFAULT_CONSOLE_SETTINGS };
    let counter = 0;
    // Published ports open through jupyter-server-proxy when the server has it.
    let portProxy: string | null = null;
    void fetchStatus()
      .then(status => {
        portProxy = status.portProxy;
      })
      .catch(() => undefined);

    const tracker = new WidgetTracker<ContainerConsole>({
      namespace: 'littlewings-console'
    });
    const mergedTracker = new WidgetTracker<MergedConsole>({
      namespace: 'littlewings-merged'
    });

    // A container is named by its name (or id) and its engine ('' for the default one).
    const containerArgs = (c: IContainerSummary) => ({
      id: c.name || c.id,
      engine: model.engineOf(c)
    });
    // The sidebar's socket carries Docker's events, and the alert rules (alerts.ts).
    const socket = new LittleWingsSocket({ url: () => websocketUrl() });
    const model = new ContainersModel({ transport: socket });
    const panel: ContainersPanel = new ContainersPanel({
      model,
      onOpen: c =>
        void commands.execute(CommandIDs.openConsole, containerArgs(c)),
      onShell: c =>
        void commands.execute(CommandIDs.openShell, containerArgs(c)),
      onCreate: engine =>
        void commands.execute(CommandIDs.newContainer, { engine }),
      onProjectLogs: (project, engine) =>
        void commands.execute(CommandIDs.openProjectLogs, { project, engine }),
      onMergedLogs: containers =>
        void commands.execute(CommandIDs.openMergedLogs, {
          server_ids: containers.map(c => c.name || c.id),
          engine: model.engineOf(containers[0])
        }),
      onServiceLogs: (service, engine) =>
        void commands.execute(CommandIDs.openMergedLogs, { service, engine })
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
    commands.addCommand(CommandIDs.openArchivedLogs, {
      label: 'Open Archived Logs',
      caption: "A removed container's logs, as the archive keeps them",
      execute: async args => {
        const id = typeof args.id === 'string' ? args.id : '';
        const open = Array.from(shell.widgets('main')).find(
          w => w instanceof ArchivedLogs && w.container.id === id
        );
        if (open) {
          shell.activateById(open.id);
          return open;
        }
        let container: IArchivedContainer | undefined =
          removedContainers.containers.find(c => c.id === id);
        if (!container) {
          const answer = await fetchArchive();
          container = answer.containers.find(c => c.id === id || c.name === id);
        }
        if (!container) {
          throw new Error(`${id} is not in the archive`);
        }
        const widget = new ArchivedLogs(container);
        shell.add(widget, 'main');
        shell.activateById(widget.id);
        return widget;
      }
    });

    /** The `engine` argument of a command ('' for the default engine). */
    const engineArg = (args: Record<string, unknown>): string =>
      typeof args.engine === 'string' && args.engine !== model.defaultEngine
        ? args.engine
        : '';

    const findConsole = (
      idOrName: string,
      engine: string
    ): ContainerConsole | undefined =>
      tracker.find(w => {
        const c = w.connection.container;
        return (
          w.connection.engine === engine &&
          (w.connection.serverId === idOrName ||
            (!!c && (c.name === idOrName || c.id === idOrName)))
        );
      });

    /** The container a command acts on: its `id` argument, else the sidebar's current one. */
    const target = (
      args: Record<string, unknown>
    ): IContainerSummary | null => {
      const id = typeof args.id === 'string' ? args.id : '';
      if (id) {
        return model.find(id, engineArg(args) || model.defaultEngine);
      }
      return panel.currentContainer;
    };

    const askForContainer = async (): Promise<string | null> => {
      if (!model.containers.length) {
        await model.refresh();
      }
      const names = model.containers
        .map(c => c.name)
        .sort((a, b) => a.localeCompare(b));
      const result = names.length
        ? await InputDialog.getItem({
            title: 'Open a container console',
            label: 'Container',
            items: names,
            editable: true,
            placeholder: 'name or id'
          })
        : await InputDialog.getText({
            title: 'Open a container console',
            label: 'Container name or id',
            placeholder: 'name or id'
          });
      return result.button.accept && result.value ? result.value.trim() : null;
    };

    commands.addCommand(CommandIDs.openConsole, {
      label: args =>
        args.id || args.fromMenu
          ? 'Open Console'
          : 'LittleWings: Open console…',
      caption: 'Open the log view and command box of a container',
      icon: args => (args.isPalette ? undefined : consoleIcon),
      execute: async args => {
        let id = typeof args.id === 'string' ? args.id : '';
        let engine = engineArg(args);
        if (!id) {
          const current = args.fromMenu ? panel.currentContainer : null;
          engine = current ? model.engineOf(current) : '';
          id = current?.name ?? (await askForContainer()) ?? '';
        }
        if (!id) {
          return null;
        }
        const existing = findConsole(id, engine);
        if (existing) {
          if (args.activate !== false) {
            shell.activateById(existing.id);
          }
          return existing;
        }
        const connection = new ConsoleConnection({
          serverId: id,
          engine,
          watch: {
            tail: settings.tail,
            timestamps: settings.timestamps,
            stats: settings.stats
          },
          socketOptions: { url: () => websocketUrl() }
        });
        const nameOf = () => connection.container?.name || id;
        const widget = new ContainerConsole({
          connection,
          settings,
          pin: {
            isPinned: () => alerts.isPinned(nameOf(), engine),
            setPinned: pinned => alerts.setPinned(nameOf(), engine, pinned),
            changed: alerts.pinsChanged
          },
          downloadLogs: (name, timestamps) =>
            downloadLogs(name, timestamps, engine),
          portProxy: () => portProxy
        });
        widget.id = `littlewings-console-${++counter}-${id.replace(/[^\w-]/g, '_')}`;
        widget.title.icon = consoleIcon;
        Private.addToShell(shell, widget);
        void tracker.add(widget);
        connection.containerChanged.connect(() => void tracker.save(widget));
        if (args.activate !== false) {
          shell.activateById(widget.id);
        }
        return widget;
      }
    });

    /** Open (or show) the merged logs of a group. */
    const openMerged = (
      group: GroupTarget,
      engine: string,
      activate: boolean
    ): MergedConsole => {
      const key = groupKey(group, engine);
      const existing = mergedTracker.find(
        w => groupKey(w.target, w.connection.engine) === key
      );
      if (existing) {
        if (activate) {
          shell.activateById(existing.id);
        }
        return existing;
      }
      const connection = new ConsoleConnection({
        group,
        engine,
        watch: { tail: settings.tail, timestamps: true, stats: false },
        socketOptions: { url: () => websocketUrl() }
      });
      const widget = new MergedConsole({
        connection,
        settings,
        downloadLogs: (target, format, timestamps) =>
          downloadMergedLogs(target, format, timestamps, engine),
        // A Swarm service's members are tasks, not containers of this engine's list.
        openContainer:
          'service' in group
            ? undefined
            : name =>
                void commands.execute(CommandIDs.openConsole, {
                  id: name,
                  engine
                })
      });
      widget.id = `littlewings-merged-${++counter}`;
      widget.title.icon = consoleIcon;
      Private.addToShell(shell, widget);
      void mergedTracker.add(widget);
      if (activate) {
        shell.activateById(widget.id);
      }
      return widget;
    };

    const askForProject = async (): Promise<string | null> => {
      if (!model.containers.length) {
        await model.refresh();
      }
      const projects = [
        ...new Set(
          model.containers
            .map(c => c.compose_project)
            .filter((p): p is string => !!p)
        )
      ].sort((a, b) => a.localeCompare(b));
      const result = projects.length
        ? await InputDialog.getItem({
            title: 'Open the logs of a Compose project',
            label: 'Project',
            items: projects,
            editable: true
          })
        : await InputDialog.getText({
            title: 'Open the logs of a Compose project',
            label: 'Project name (com.docker.compose.project)'
          });
      return result.button.accept && result.value ? result.value.trim() : null;
    };

    commands.addCommand(CommandIDs.openProjectLogs, {
      label: args =>
        args.isPalette
          ? 'LittleWings: Open project logs…'
          : 'Open Project Logs',
      caption:
        "The logs of every container of a Compose project in one view, like 'docker compose logs -f'",
      icon: args => (args.isPalette ? undefined : consoleIcon),
      isVisible: args => !args.fromMenu || !!panel.currentProject,
      execute: async args => {
        let project = typeof args.project === 'string' ? args.project : '';
        let engine = engineArg(args);
        if (!project && args.fromMenu) {
          const ref = panel.currentProjectRef;
          project = ref?.project ?? '';
          engine = ref && ref.engine !== model.defaultEngine ? ref.engine : '';
        }
        if (!project) {
          project = (await askForProject()) ?? '';
        }
        return project
          ? openMerged({ project }, engine, args.activate !== false)
          : null;
      }
    });

    commands.addCommand(CommandIDs.openMergedLogs, {
      label: args => {
        if (args.isPalette) {
          return 'LittleWings: Open merged logs of containers…';
        }
        const given = groupTarget(args);
        const count =
          given && 'server_ids' in given
            ? given.server_ids.length
            : panel.selectedContainers.length;
        return `Open Logs of ${count} Containers`;
      },
      caption:
        'The logs of several containers in one view, interleaved in time',
      icon: args => (args.isPalette ? undefined : consoleIcon),
      isVisible: args => !args.fromMenu || panel.selectedContainers.length > 1,
      execute: async args => {
        let group = groupTarget(args);
        let engine = engineArg(args);
        const selected = panel.selectedContainers;
        if (!group && selected.length > 1 && !args.isPalette) {
          group = { server_ids: selected.map(c => c.name || c.id) };
          engine = model.engineOf(selected[0]);
        }
        if (group && 'server_ids' in group && !args.engine) {
          const engines = new Set(selected.map(c => String(c.engine ?? '')));
          if (selected.length > 1 && engines.size > 1) {
            await showErrorMessage(
              'Containers of several engines',
              'Merged logs show containers of one Docker engine: select containers of one engine.'
            );
            return null;
          }
        }
        if (!group) {
          const result = await InputDialog.getText({
            title: 'Open the merged logs of containers',
            label:
              'Container names or ids, separated by commas (or label:key=value)',
            text: selected.map(c => c.name).join(', ')
          });
          const text = result.button.accept ? (result.value ?? '').trim() : '';
          group = text.startsWith('label:')
            ? groupTarget({ label: text.slice(6).trim() })
            : groupTarget({ server_ids: text });
        }
        return group
          ? openMerged(group, engine, args.activate !== false)
          : null;
      }
    });

    commands.addCommand(CommandIDs.openShell, {
      label: args =>
        args.id || args.fromMenu ? 'Open Shell' : 'LittleWings: Open shell…',
      caption:
        'Open a terminal in a container (docker exec -it) in its console',
      icon: args => (args.isPalette ? undefined : shellIcon),
      execute: async args => {
        const widget = (await commands.execute(CommandIDs.openConsole, {
          ...args,
          activate: true
        })) as ContainerConsole | null;
        if (widget) {
          widget.openShell();
        }
        return widget;
      }
    });

    commands.addCommand(CommandIDs.newContainer, {
      label: args =>
        args.isPalette ? 'LittleWings: New container…' : 'New Container…',
      caption: 'Create and start a container from a local image',
      isEnabled: () => model.permissions.write,
      execute: async args => {
        try {
          const made = await newContainerDialog({}, engineArg(args));
          if (made) {
            await model.refresh();
          }
          return made;
        } catch (error) {
          await showErrorMessage(
            'Cannot create a container',
            error instanceof Error ? error.message : String(error)
          );
          return null;
        }
      }
    });

    commands.addCommand(CommandIDs.removeContainer, {
      label: 'Remove Container…',
      caption: 'Remove the container (after a confirmation)',
      isEnabled: args => !!target(args) && model.permissions.write,
      execute: async args => {
        const c = target(args);
        if (!c) {
          return false;
        }
        try {
          const removed = await removeContainerDialog(c, model.engineOf(c));
          if (removed) {
            await model.refresh();
          }
          return removed;
        } catch (error) {
          await showErrorMessage(
            `Remove ${c.name} failed`,
            error instanceof Error ? error.message : String(error)
          );
          return false;
        }
      }
    });

    // One drive per container whose files were browsed (`name:path`), and its browser tab.
    const drives = new Map<string, ContainerDrive>();
    const ensureDrive = (name: string, engine: string): string => {
      // A container of another engine has its own drive: `name@engine:path`.
      const driveName = engine ? `${name}@${engine}` : name;
      if (!drives.has(driveName)) {
        const drive = new ContainerDrive(
          name,
          app.serviceManager.serverSettings,
          engine
        );
        app.serviceManager.contents.addDrive(drive);
        drives.set(driveName, drive);
        Private.saveDrives([...drives.values()]);
      }
      return driveName;
    };
    // A document of a container's file names the container on its tab. The label stays the
    // file's name (JupyterLab renames a file whose tab label is changed); the container's name
    // is an attribute of the tab that the style shows after the label, `motd — web-1`.
    const containerTab: Parameters<
      typeof app.docRegistry.addWidgetExtension
    >[1] = {
      createNew: (widget, context) => {
        const colon = context.path.indexOf(':');
        const drive = colon > 0 ? context.path.slice(0, colon) : '';
        if (drive && drives.has(drive)) {
          widget.title.dataset = {
            ...widget.title.dataset,
            'littlewings-container': drive
          };
        }
      }
    };
    const extended = new Set<string>();
    const extendFactories = () => {
      for (const factory of app.docRegistry.widgetFactories()) {
        if (!extended.has(factory.name)) {
          extended.add(factory.name);
          app.docRegistry.addWidgetExtension(factory.name, containerTab);
        }
      }
    };
    extendFactories();
    app.docRegistry.changed.connect((_, change) => {
      if (change.type === 'widgetFactory' && change.change === 'added') {
        extendFactories();
      }
    });
    // The drives of the last visit come back before JupyterLab restores its tabs: an editor
    // tab of `web:/etc/nginx.conf` would otherwise be asked of the server's own files (404).
    for (const { name, engine } of Private.savedDrives()) {
      ensureDrive(name, engine);
    }
    commands.addCommand(CommandIDs.browseFiles, {
      label: args =>
        args.isPalette
          ? 'LittleWings: Browse container files…'
          : 'Browse Files',
      caption:
        "Open JupyterLab's file browser on the files inside the container",
      icon: args => (args.isPalette ? undefined : folderIcon),
      isEnabled: () => !!browserFactory,
      execute: async args => {
        if (!browserFactory) {
          return null;
        }
        const chosen = target(args);
        let name = chosen?.name ?? '';
        const engine = model.engineOf(chosen);
        if (!name && args.isPalette) {
          name = (await askForContainer()) ?? '';
        }
        if (!name) {
          return null;
        }
        const driveName = ensureDrive(name, engine);
        const id = `littlewings-files-${driveName.replace(/[^\w-]/g, '_')}`;
        const open = browserFactory.tracker.find(b => b.id === id);
        if (open) {
          shell.activateById(open.id);
          return open;
        }
        const browser = browserFactory.createFileBrowser(id, {
          driveName,
          restore: false,
          refreshInterval: 10000
        });
        browser.title.label = `${driveName}:/`;
        browser.title.caption = `Files inside ${name}${engine ? ` on ${engine}` : ''} (Docker's archive API)`;
        browser.title.icon = folderIcon;
        browser.title.closable = true;
        browser.addClass('jp-LittleWings-files');
        // Closing its tab ends it (a FileBrowser only hides on close): a closed one stayed
        // the file browser tracker's current widget, and a Launcher's Notebook then went to
        // the container's folder (notebook:create-new takes that browser's path).
        MessageLoop.installMessageHook(browser, (handler, message) => {
          if (message.type === 'close-request') {
            requestAnimationFrame(() => browser.dispose());
          }
          return true;
        });
        // A browser of the factory has an empty toolbar: JupyterLab's usual buttons.
        browser.toolbar.addItem(
          'new-folder',
          new ToolbarButton({
            icon: newFolderIcon,
            tooltip: 'New Folder',
            onClick: () => void browser.createNewDirectory()
          })
        );
        browser.toolbar.addItem(
          'new-file',
          new ToolbarButton({
            icon: fileIcon,
            tooltip: 'New Text File',
            onClick: () => void browser.createNewFile({ ext: '.txt' })
          })
        );
        browser.toolbar.addItem(
          'upload',
          new Uploader({ model: browser.model })
        );
        browser.toolbar.addItem(
          'refresh',
          new ToolbarButton({
            icon: refreshIcon,
            tooltip: 'Refresh the file list',
            onClick: () => void browser.model.refresh()
          })
        );
        shell.add(browser, 'main', { mode: 'split-right' });
        shell.activateById(browser.id);
        return browser;
      }
    });

    commands.addCommand(CommandIDs.showContainers, {
      label: 'LittleWings: Show containers',
      caption: 'Show the Containers sidebar',
      execute: () => shell.activateById(panel.id)
    });

    commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Containers',
      caption: 'Load the container list again',
      execute: () => model.refresh()
    });

    commands.addCommand(CommandIDs.power, {
      label: args => actionLabel(args.action as PowerAction),
      caption: args =>
        `${actionLabel(args.action as PowerAction)} the container`,
      isEnabled: args => {
        const c = target(args);
        return (
          !!c &&
          model.permissions.write &&
          !model.isBusy(c) &&
          actionAllowed(args.action as PowerAction, c.state)
        );
      },
      execute: async args => {
        const c = target(args);
        const action = args.action as PowerAction;
        if (!c) {
          return;
        }
        try {
          await model.power(c, action);
        } catch (error) {
          await showErrorMessage(
            `${actionLabel(action)} ${c.name} failed`,
            error instanceof Error ? error.message : String(error)
          );
        }
      }
    });

    // A Compose project's header: start, stop or restart all its containers, as
    // `docker compose start|stop|restart` does (each container the action applies to).
    const projectMembers = (): IContainerSummary[] => {
      const ref = panel.currentProjectRef;
      if (!ref) {
        return [];
      }
      return model.containers.filter(
        c =>
          c.compose_project === ref.project &&
          String(c.engine ?? '') === String(ref.engine ?? '')
      );
    };
    const PROJECT_ACTIONS = ['start', 'stop', 'restart'] as const;
    commands.addCommand(CommandIDs.projectPower, {
      label: args => {
        const action = args.action as PowerAction;
        const count = projectMembers().filter(c =>
          actionAllowed(action, c.state)
        ).length;
        return `${actionLabel(action)} All (${count})`;
      },
      caption: args =>
        `${actionLabel(args.action as PowerAction)} every container of the project it applies to, as docker compose does`,
      isVisible: () => !!panel.currentProject,
      isEnabled: args =>
        model.permissions.write &&
        projectMembers().some(
          c =>
            actionAllowed(args.action as PowerAction, c.state) &&
            !model.isBusy(c)
        ),
      execute: async args => {
        const action = args.action as PowerAction;
        const project = panel.currentProject ?? '';
        const members = projectMembers().filter(
          c => actionAllowed(action, c.state) && !model.isBusy(c)
        );
        const results = await Promise.allSettled(
          members.map(c => model.power(c, action))
        );
        const failed = results
          .map((r, i) =>
            r.status === 'rejected'
              ? `${members[i].name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`
              : ''
          )
          .filter(Boolean);
        if (failed.length) {
          await showErrorMessage(
            `${actionLabel(action)} ${project}: ${failed.length} of ${members.length} failed`,
            failed.join('\n')
          );
        }
      }
    });

    commands.addCommand(CommandIDs.copyId, {
      label: 'Copy ID',
      caption: 'Copy the full container id',
      isEnabled: args => !!target(args),
      execute: args => {
        const c = target(args);
        if (c) {
          Clipboard.copyToSystem(c.id);
        }
      }
    });

    commands.addCommand(CommandIDs.copyName, {
      label: 'Copy Name',
      caption: 'Copy the container name',
      isEnabled: args => !!target(args),
      execute: args => {
        const c = target(args);
        if (c) {
          Clipboard.copyToSystem(c.name);
        }
      }
    });

    commands.addCommand(CommandIDs.togglePin, {
      label: 'Pin for Alerts',
      caption:
        'Notify when the container dies, is OOM-killed, turns unhealthy or logs an alert pattern, also while its console is closed',
      isEnabled: args => !!target(args),
      isToggled: args => {
        const c = target(args);
        return !!c && alerts.isPinned(c.name, model.engineOf(c));
      },
      execute: args => {
        const c = target(args);
        if (c) {
          const engine = model.engineOf(c);
          alerts.setPinned(c.name, engine, !alerts.isPinned(c.name, engine));
        }
      }
    });

    // The console the console commands act on: the one shown, else the last one focused.
    let lastConsole: ContainerConsole | MergedConsole | null = null;
    tracker.currentChanged.connect((_, w) => (lastConsole = w ?? lastConsole));
    mergedTracker.currentChanged.connect(
      (_, w) => (lastConsole = w ?? lastConsole)
    );
    const currentConsole = (): ContainerConsole | MergedConsole | null => {
      const current = shell.currentWidget;
      if (
        current instanceof ContainerConsole ||
        current instanceof MergedConsole
      ) {
        return current;
      }
      if (lastConsole && !lastConsole.isDisposed) {
        return lastConsole;
      }
      return tracker.currentWidget ?? mergedTracker.currentWidget;
    };
    commands.addCommand(CommandIDs.find, {
      label: 'Search Container Logs',
      isEnabled: () => !!currentConsole(),
      execute: () => currentConsole()?.focusSearch()
    });
    commands.addCommand(CommandIDs.clear, {
      label: 'Clear Container Console',
      isEnabled: () => !!currentConsole(),
      execute: () => currentConsole()?.clear()
    });
    commands.addCommand(CommandIDs.toggleTimestamps, {
      label: 'Show Timestamps in Container Console',
      isEnabled: () => !!currentConsole(),
      isToggled: () => !!currentConsole()?.timestamps,
      execute: () => {
        const widget = currentConsole();
        widget?.setTimestamps(!widget.timestamps);
      }
    });
    commands.addCommand(CommandIDs.download, {
      label: 'Download Container Logs',
      isEnabled: () => !!currentConsole(),
      execute: () => currentConsole()?.download()
    });

    // The context menu of a row in the sidebar.
    const selector = '.jp-LittleWings-item';
    app.contextMenu.addItem({
      command: CommandIDs.openConsole,
      args: { fromMenu: true },
      selector,
      rank: 0
    });
    app.contextMenu.addItem({
      command: CommandIDs.openShell,
      args: { fromMenu: true },
      selector,
      rank: 1
    });
    POWER_ACTIONS.forEach((action, i) => {
      app.contextMenu.addItem({
        command: CommandIDs.power,
        args: { action },
        selector,
        rank: 10 + i
      });
    });
    app.contextMenu.addItem({ type: 'separator', selector, rank: 30 });
    app.contextMenu.addItem({
      command: CommandIDs.copyName,
      selector,
      rank: 31
    });
    app.contextMenu.addItem({ command: CommandIDs.copyId, selector, rank: 32 });
    app.contextMenu.addItem({
      command: CommandIDs.browseFiles,
      selector,
      rank: 2
    });
    app.contextMenu.addItem({
      command: CommandIDs.openMergedLogs,
      args: { fromMenu: true },
      selector,
      rank: 3
    });
    app.contextMenu.addItem({
      command: CommandIDs.togglePin,
      selector,
      rank: 4
    });
    app.contextMenu.addItem({
      command: CommandIDs.openProjectLogs,
      args: { fromMenu: true },
      selector: ".jp-LittleWings-groupRow:not([data-group=''])",
      rank: 0
    });
    PROJECT_ACTIONS.forEach((action, i) => {
      app.contextMenu.addItem({
        command: CommandIDs.projectPower,
        args: { action },
        selector: ".jp-LittleWings-groupRow:not([data-group=''])",
        rank: 1 + i
      });
    });
    app.contextMenu.addItem({
      command: CommandIDs.removeContainer,
      selector,
      rank: 35
    });
    app.contextMenu.addItem({ type: 'separator', selector, rank: 40 });
    app.contextMenu.addItem({
      command: CommandIDs.refresh,
      selector,
      rank: 41
    });

    panel.changed.connect(() => {
      commands.notifyCommandChanged(CommandIDs.power);
    });

    if (palette) {
      const category = 'LittleWings';
      // JupyterLab's palette does not tell a command it runs from there: its items say so.
      palette.addItem({ command: CommandIDs.openConsole, category });
      palette.addItem({ command: CommandIDs.openShell, category });
      palette.addItem({
        command: CommandIDs.openProjectLogs,
        category,
        args: { isPalette: true }
      });
      palette.addItem({
        command: CommandIDs.openMergedLogs,
        category,
        args: { isPalette: true }
      });
      palette.addItem({
        command: CommandIDs.newContainer,
        category,
        args: { isPalette: true }
      });
      palette.addItem({
        command: CommandIDs.browseFiles,
        category,
        args: { isPalette: true }
      });
      palette.addItem({ command: CommandIDs.showContainers, category });
      palette.addItem({ command: CommandIDs.refresh, category });
      palette.addItem({ command: CommandIDs.toggleTimestamps, category });
      palette.addItem({ command: CommandIDs.clear, category });
      palette.addItem({ command: CommandIDs.download, category });
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
        settings = Private.readSettings(loaded.composite);
        tracker.forEach(widget => widget.updateSettings(settings));
        mergedTracker.forEach(widget => widget.updateSettings(settings));
        alerts.setSettings(Private.readAlertSettings(loaded.composite));
        alerts.setPins(Private.readPins(loaded.composite.alertPins));
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
  }
};

namespace Private {
  const DRIVES_KEY = 'littlewings-jupyter:drives';

  /** The container drives of the last visit (this browser's storage). */
  export function savedDrives(): { name: string; engine: string }[] {
    try {
      const saved = JSON.parse(window.localStorage.getItem(DRIVES_KEY) ?? '[]');
      return Array.isArray(saved)
        ? saved.filter(
            d => typeof d?.name === 'string' && typeof d?.engine === 'string'
          )
        : [];
    } catch {
      return [];
    }
  }

  export function saveDrives(drives: ContainerDrive[]): void {
    try {
      window.localStorage.setItem(
        DRIVES_KEY,
        JSON.stringify(
          drives.map(d => ({ name: d.container, engine: d.engine }))
        )
      );
    } catch {
      // (Storage full or refused: the tabs then ask once more after a reload.)
    }
  }

  /**
   * Put a console in the main area; where that holds one document only and ignores more (Notebook
   * 7's pages: the tree or the notebook), in the bottom panel instead, else in the right sidebar.
   */
  export function addToShell(
    shell: JupyterFrontEnd.IShell,
    widget: ContainerConsole | MergedConsole
  ): void {
    for (const area of ['main', 'down', 'right'] as const) {
      shell.add(widget, area);
      if (widget.parent) {
        // Outside the main area the console asks for more height than its usual minimum.
        widget.toggleClass('jp-LittleWings-outsideMain', area !== 'main');
        return;
      }
    }
    console.warn(`littlewings-jupyter: no shell area takes ${widget.id}`);
  }

  /** The alert settings from the settings editor's values. */
  export function readAlertSettings(
    raw: Record<string, unknown>
  ): IAlertSettings {
    const d = DEFAULT_ALERT_SETTINGS;
    const patterns = Array.isArray(raw.alertPatterns)
      ? raw.alertPatterns.filter(
          (p): p is string => typeof p === 'string' && p !== ''
        )
      : d.patterns;
    const cooldown = raw.alertCooldown;
    return {
      enabled:
        typeof raw.alertsEnabled === 'boolean' ? raw.alertsEnabled : d.enabled,
      patterns,
      cooldown:
        typeof cooldown === 'number' && cooldown >= 0 ? cooldown : d.cooldown
    };
  }

  /** The pinned containers as the settings hold them. */
  export function readPins(raw: unknown): IPin[] {
    if (!Array.isArray(raw)) {
      return [];
    }
    return raw
      .filter(
        (p): p is { name: string; engine?: unknown } =>
          !!p && typeof p === 'object' && typeof p.name === 'string' && !!p.name
      )
      .map(p => ({
        name: p.name,
        engine: typeof p.engine === 'string' ? p.engine : ''
      }));
  }

  /** The console settings from the settings editor's values. */
  export function readSettings(raw: Record<string, unknown>): IConsoleSettings {
    const d = DEFAULT_CONSOLE_SETTINGS;
    const num = (value: unknown, fallback: number) =>
      typeof value === 'number' && Number.isFinite(value) ? value : fallback;
    const tail = raw.tailLines;
    return {
      scrollback: num(raw.scrollback, d.scrollback),
      tail: tail === 'all' ? 'all' : num(tail, d.tail as number),
      timestamps:
        typeof raw.timestamps === 'boolean' ? raw.timestamps : d.timestamps,
      stats: typeof raw.showStats === 'boolean' ? raw.showStats : d.stats,
      fontSize: typeof raw.fontSize === 'number' ? raw.fontSize : null
    };
  }
}

export default plugin;

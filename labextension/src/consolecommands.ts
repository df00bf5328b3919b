/**
 * The commands that open consoles (a container's, a project's, merged logs, a shell, the
 * archived logs of a removed container) and those that act on the console shown.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { InputDialog, showErrorMessage } from '@jupyterlab/apputils';

import {
  IArchivedContainer,
  downloadLogs,
  downloadMergedLogs,
  fetchArchive,
  websocketUrl
} from './api';
import { ArchivedLogs } from './archive';
import { ICommandsOptions, askForContainer, engineArg } from './commands';
import {
  ConsoleConnection,
  ContainerConsole,
  GroupTarget,
  MergedConsole,
  groupKey,
  groupTarget
} from './console';
import { consoleIcon, shellIcon } from './labicons';
import { CommandIDs } from './tokens';

/** Add the commands of consoles. */
export function addConsoleCommands(
  app: JupyterFrontEnd,
  options: ICommandsOptions
): void {
  const { commands, shell } = app;
  const { model, panel, tracker, mergedTracker, alerts, removedContainers } =
    options;
  let counter = 0;

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

  commands.addCommand(CommandIDs.openConsole, {
    label: args =>
      args.id || args.fromMenu ? 'Open Console' : 'LittleWings: Open console…',
    caption: 'Open the log view and command box of a container',
    icon: args => (args.isPalette ? undefined : consoleIcon),
    execute: async args => {
      let id = typeof args.id === 'string' ? args.id : '';
      let engine = engineArg(model, args);
      if (!id) {
        const current = args.fromMenu ? panel.currentContainer : null;
        engine = current ? model.engineOf(current) : '';
        id = current?.name ?? (await askForContainer(model)) ?? '';
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
      const settings = options.settings();
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
        portProxy: options.portProxy
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
    const settings = options.settings();
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
        'service' in group || 'task' in group
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
        : args.fromMenu && panel.currentProjectRef?.kind === 'pod'
          ? 'Open Pod Logs'
          : 'Open Project Logs',
    caption:
      "The logs of every container of a Compose project in one view, like 'docker compose logs -f'",
    icon: args => (args.isPalette ? undefined : consoleIcon),
    isVisible: args => !args.fromMenu || !!panel.currentProject,
    execute: async args => {
      // A pod (`pod`) is shown as a project is: a Podman engine's group.
      if (typeof args.pod === 'string' && args.pod) {
        return openMerged(
          { pod: args.pod },
          engineArg(model, args),
          args.activate !== false
        );
      }
      let project = typeof args.project === 'string' ? args.project : '';
      let engine = engineArg(model, args);
      if (!project && args.fromMenu) {
        const ref = panel.currentProjectRef;
        engine = ref && ref.engine !== model.defaultEngine ? ref.engine : '';
        if (ref?.kind === 'pod') {
          return openMerged({ pod: ref.project }, engine, true);
        }
        project = ref?.project ?? '';
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
    caption: 'The logs of several containers in one view, interleaved in time',
    icon: args => (args.isPalette ? undefined : consoleIcon),
    isVisible: args => !args.fromMenu || panel.selectedContainers.length > 1,
    execute: async args => {
      let group = groupTarget(args);
      let engine = engineArg(model, args);
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
      return group ? openMerged(group, engine, args.activate !== false) : null;
    }
  });

  commands.addCommand(CommandIDs.openShell, {
    label: args =>
      args.id || args.fromMenu ? 'Open Shell' : 'LittleWings: Open shell…',
    caption: 'Open a terminal in a container (docker exec -it) in its console',
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
}

namespace Private {
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
}

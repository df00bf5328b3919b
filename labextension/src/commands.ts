/**
 * The commands on containers (power, copy, pin, new, remove, files, refresh), what every
 * command reads its arguments with, the items of the sidebar's context menus and of the
 * command palette. The plugin (index.ts) makes the model, the views and the trackers, and
 * hands them to `addCommands` and `addConsoleCommands` (consolecommands.ts).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  ICommandPalette,
  InputDialog,
  WidgetTracker,
  showErrorMessage
} from '@jupyterlab/apputils';
import { folderIcon } from '@jupyterlab/ui-components';

import { AlertsController } from './alerts';
import { RemovedContainers } from './archive';
import {
  ContainerConsole,
  IConsoleSettings,
  IContainerSummary,
  MergedConsole,
  POWER_ACTIONS,
  PowerAction,
  actionAllowed,
  actionLabel
} from './console';
import { groupOf } from './containerlist';
import { ContainerFiles } from './filebrowser';
import { newContainerDialog, removeContainerDialog } from './manage';
import { ContainersModel } from './model';
import { ContainersPanel } from './sidebar';
import { CommandIDs } from './tokens';

export { CommandIDs };

/** What the commands act on. */
export interface ICommandsOptions {
  /** The containers. */
  model: ContainersModel;
  /** The sidebar: its selection and the row its context menu was opened on. */
  panel: ContainersPanel;
  /** The consoles of single containers. */
  tracker: WidgetTracker<ContainerConsole>;
  /** The merged consoles. */
  mergedTracker: WidgetTracker<MergedConsole>;
  alerts: AlertsController;
  /** The removed containers the archive keeps (under the list). */
  removedContainers: RemovedContainers;
  files: ContainerFiles;
  /** The console settings now (they change with the settings editor). */
  settings: () => IConsoleSettings;
  /** Where jupyter-server-proxy serves local ports; null without it. */
  portProxy: () => string | null;
}

/** The compose-like actions of a project's header. */
const PROJECT_ACTIONS = ['start', 'stop', 'restart'] as const;

/** The `engine` argument of a command ('' for the default engine). */
export function engineArg(
  model: ContainersModel,
  args: Record<string, unknown>
): string {
  return typeof args.engine === 'string' && args.engine !== model.defaultEngine
    ? args.engine
    : '';
}

/** The container a command acts on: its `id` argument, else the sidebar's current one. */
export function targetOf(
  options: Pick<ICommandsOptions, 'model' | 'panel'>,
  args: Record<string, unknown>
): IContainerSummary | null {
  const { model, panel } = options;
  const id = typeof args.id === 'string' ? args.id : '';
  if (id) {
    return model.find(id, engineArg(model, args) || model.defaultEngine);
  }
  return panel.currentContainer;
}

/** Ask the user for a container (a list of the known ones, or a name to type). */
export async function askForContainer(
  model: ContainersModel
): Promise<string | null> {
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
}

/** Add the commands on containers (power, copy, pin, new, remove, files, refresh). */
export function addCommands(
  app: JupyterFrontEnd,
  options: ICommandsOptions
): void {
  const { commands, shell } = app;
  const { model, panel, alerts, files } = options;
  const target = (args: Record<string, unknown>) => targetOf(options, args);

  commands.addCommand(CommandIDs.newContainer, {
    label: args =>
      args.isPalette ? 'LittleWings: New container…' : 'New Container…',
    caption: 'Create and start a container from a local image',
    isEnabled: () => model.permissions.write,
    execute: async args => {
      try {
        const made = await newContainerDialog({}, engineArg(model, args));
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

  commands.addCommand(CommandIDs.browseFiles, {
    label: args =>
      args.isPalette ? 'LittleWings: Browse container files…' : 'Browse Files',
    caption: "Open JupyterLab's file browser on the files inside the container",
    icon: args => (args.isPalette ? undefined : folderIcon),
    isEnabled: () => files.canBrowse,
    execute: async args => {
      if (!files.canBrowse) {
        return null;
      }
      const chosen = target(args);
      let name = chosen?.name ?? '';
      const engine = model.engineOf(chosen);
      if (!name && args.isPalette) {
        name = (await askForContainer(model)) ?? '';
      }
      if (!name) {
        return null;
      }
      return files.browse(name, engine);
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
    caption: args => `${actionLabel(args.action as PowerAction)} the container`,
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

  // A Compose project's (or a Podman pod's) header: start, stop or restart all its
  // containers, as `docker compose start|stop|restart` does (each one the action applies to).
  const projectMembers = (): IContainerSummary[] => {
    const ref = panel.currentProjectRef;
    if (!ref) {
      return [];
    }
    return model.containers.filter(c => {
      const group = groupOf(c);
      return (
        group.kind === ref.kind &&
        group.name === ref.project &&
        String(c.engine ?? '') === String(ref.engine ?? '')
      );
    });
  };
  commands.addCommand(CommandIDs.projectPower, {
    label: args => {
      const action = args.action as PowerAction;
      const count = projectMembers().filter(c =>
        actionAllowed(action, c.state)
      ).length;
      return `${actionLabel(action)} All (${count})`;
    },
    caption: args =>
      `${actionLabel(args.action as PowerAction)} every container of the project or pod it applies to, as docker compose does`,
    isVisible: () => !!panel.currentProject,
    isEnabled: args =>
      model.permissions.write &&
      projectMembers().some(
        c =>
          actionAllowed(args.action as PowerAction, c.state) && !model.isBusy(c)
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

  model.changed.connect(() => {
    commands.notifyCommandChanged(CommandIDs.power);
  });
  panel.changed.connect(() => {
    commands.notifyCommandChanged(CommandIDs.power);
  });
}

/** The items of the sidebar's context menus (a container's row, a project's header). */
export function addContextMenuItems(app: JupyterFrontEnd): void {
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
}

/** The commands of the palette, under LittleWings. */
export function addPaletteItems(palette: ICommandPalette): void {
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

/**
 * A container's files in JupyterLab: one drive per container whose files were browsed
 * (`name:path`, `name@engine:path` for another engine), its file browser tab, and the
 * container's name on the tabs of its documents.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  FileBrowser,
  IFileBrowserFactory,
  Uploader
} from '@jupyterlab/filebrowser';
import { MessageLoop } from '@lumino/messaging';
import {
  ToolbarButton,
  fileIcon,
  folderIcon,
  newFolderIcon,
  refreshIcon
} from '@jupyterlab/ui-components';

import { ContainerDrive } from './drive';

/** The drives of containers, and their file browsers. */
export class ContainerFiles {
  constructor(app: JupyterFrontEnd, factory: IFileBrowserFactory | null) {
    this._app = app;
    this._factory = factory;
    // A document of a container's file names the container on its tab. The label stays the
    // file's name (JupyterLab renames a file whose tab label is changed); the container's name
    // is an attribute of the tab that the style shows after the label, `motd — web-1`.
    const containerTab: Parameters<
      typeof app.docRegistry.addWidgetExtension
    >[1] = {
      createNew: (widget, context) => {
        const colon = context.path.indexOf(':');
        const drive = colon > 0 ? context.path.slice(0, colon) : '';
        if (drive && this._drives.has(drive)) {
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
      this.ensureDrive(name, engine);
    }
  }

  /** Whether file browsers can be opened (JupyterLab's file browser factory is there). */
  get canBrowse(): boolean {
    return !!this._factory;
  }

  /** The drive of a container ('' engine: the default one), made once; its name. */
  ensureDrive(name: string, engine: string): string {
    // A container of another engine has its own drive: `name@engine:path`.
    const driveName = engine ? `${name}@${engine}` : name;
    if (!this._drives.has(driveName)) {
      const drive = new ContainerDrive(
        name,
        this._app.serviceManager.serverSettings,
        engine
      );
      this._app.serviceManager.contents.addDrive(drive);
      this._drives.set(driveName, drive);
      Private.saveDrives([...this._drives.values()]);
    }
    return driveName;
  }

  /** Open (or show) a file browser of a container's files, split to the right. */
  browse(name: string, engine: string): FileBrowser | null {
    const factory = this._factory;
    if (!factory) {
      return null;
    }
    const driveName = this.ensureDrive(name, engine);
    const id = `littlewings-files-${driveName.replace(/[^\w-]/g, '_')}`;
    const open = factory.tracker.find(b => b.id === id);
    if (open) {
      this._app.shell.activateById(open.id);
      return open;
    }
    const browser = factory.createFileBrowser(id, {
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
    browser.toolbar.addItem('upload', new Uploader({ model: browser.model }));
    browser.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: 'Refresh the file list',
        onClick: () => void browser.model.refresh()
      })
    );
    this._app.shell.add(browser, 'main', { mode: 'split-right' });
    this._app.shell.activateById(browser.id);
    return browser;
  }

  private _app: JupyterFrontEnd;
  private _factory: IFileBrowserFactory | null;
  private _drives = new Map<string, ContainerDrive>();
}

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
}

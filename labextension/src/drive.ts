/**
 * A JupyterLab drive on the files inside one container (`web:etc/hostname`), so JupyterLab's
 * own file browser and editors work on them. Everything goes through
 * `api/littlewings/containers/{id}/files` (Docker's archive API; see docs/protocol.md).
 */
import { Contents, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { filesDownloadUrl, requestFiles } from './api';

/** An entry as the server lists it. */
interface IEntry {
  name: string;
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
  mtime: string;
  mode: string;
  target?: string;
  points_to?: 'file' | 'directory';
  entries?: IEntry[];
  content?: string;
  format?: 'text' | 'base64';
  truncated?: boolean;
}

/** The drive of one container; its name is the container's (paths: `name:some/path`). */
export class ContainerDrive implements Contents.IDrive {
  constructor(
    readonly container: string,
    readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings(),
    /** The container's engine ('' for the default one); the drive is then `name@engine`. */
    readonly engine = ''
  ) {
    this.name = engine ? `${container}@${engine}` : container;
  }

  readonly name: string;

  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    this._isDisposed = true;
    Signal.clearData(this);
  }

  async get(
    localPath: string,
    options: Contents.IFetchOptions = {}
  ): Promise<Contents.IModel> {
    const path = Private.absolute(localPath);
    const wantContent = options.content !== false;
    const entry = await this._request<IEntry>(path, {
      content: wantContent && options.type !== 'directory' ? '1' : '0'
    });
    this._seen.set(path, entry.mtime);
    if (entry.type === 'directory' || entry.entries) {
      return this._model(entry, localPath, wantContent);
    }
    return this._model(entry, localPath, wantContent);
  }

  async getDownloadUrl(localPath: string): Promise<string> {
    return filesDownloadUrl(
      this.container,
      this.engine,
      Private.absolute(localPath),
      this.serverSettings
    );
  }

  async newUntitled(
    options: Contents.ICreateOptions = {}
  ): Promise<Contents.IModel> {
    if (options.type === 'notebook' || options.ext === '.ipynb') {
      // A kernel runs on the Jupyter server, never in a container's drive.
      throw new Error(
        `A notebook cannot be made inside the container ${this.name}: its kernel runs on ` +
          "the Jupyter server. Make it in the server's file browser."
      );
    }
    const dir = Private.absolute(options.path ?? '');
    const listing = await this._request<IEntry>(dir, {});
    const taken = new Set((listing.entries ?? []).map(e => e.name));
    const folder = options.type === 'directory';
    const ext = folder ? '' : (options.ext ?? '.txt');
    const stem = folder ? 'Untitled Folder' : 'untitled';
    let name = `${stem}${ext}`;
    for (let i = 1; taken.has(name); i++) {
      name = `${stem}${i}${ext}`;
    }
    const path = Private.join(dir, name);
    const entry = await this._request<IEntry>(
      path,
      {},
      {
        method: 'PUT',
        body: JSON.stringify(
          folder ? { type: 'directory' } : { content: '', format: 'text' }
        )
      }
    );
    const model = this._model(entry, Private.local(path), false);
    this._fileChanged.emit({ type: 'new', oldValue: null, newValue: model });
    return model;
  }

  async delete(localPath: string): Promise<void> {
    const path = Private.absolute(localPath);
    await this._request(path, {}, { method: 'DELETE' });
    this._seen.delete(path);
    this._fileChanged.emit({
      type: 'delete',
      oldValue: { path: localPath },
      newValue: null
    });
  }

  async rename(
    oldLocalPath: string,
    newLocalPath: string
  ): Promise<Contents.IModel> {
    const entry = await this._request<IEntry>(
      Private.absolute(oldLocalPath),
      {},
      {
        method: 'PATCH',
        body: JSON.stringify({ path: Private.absolute(newLocalPath) })
      }
    );
    const model = this._model(entry, newLocalPath, false);
    this._fileChanged.emit({
      type: 'rename',
      oldValue: { path: oldLocalPath },
      newValue: model
    });
    return model;
  }

  async save(
    localPath: string,
    options: Partial<Contents.IModel> = {}
  ): Promise<Contents.IModel> {
    const path = Private.absolute(localPath);
    if (options.type === 'directory') {
      const entry = await this._request<IEntry>(
        path,
        {},
        { method: 'PUT', body: JSON.stringify({ type: 'directory' }) }
      );
      return this._model(entry, localPath, false);
    }
    const chunk = (options as { chunk?: number }).chunk;
    if (chunk !== undefined) {
      // JupyterLab uploads a large file in numbered base64 pieces, the last one -1: the
      // container gets the whole file at once (or the server's size limit says no).
      const pieces = chunk === 1 ? [] : (this._chunks.get(path) ?? []);
      pieces.push(String(options.content ?? ''));
      if (chunk !== -1) {
        this._chunks.set(path, pieces);
        return {
          ...this._model(
            {
              name: Private.local(path).split('/').pop() ?? '',
              path,
              type: 'file',
              size: 0,
              mtime: new Date().toISOString(),
              mode: ''
            },
            localPath,
            false
          )
        };
      }
      this._chunks.delete(path);
      options = {
        ...options,
        format: 'base64',
        content: Private.joinBase64(pieces)
      };
    }
    let content = options.content ?? '';
    let format = options.format ?? 'text';
    if (options.type === 'notebook' || format === 'json') {
      content = JSON.stringify(content, null, 1);
      format = 'text';
    }
    // What this drive last read or wrote: the server refuses to overwrite a newer file.
    // (JupyterLab asks "overwrite or revert?" first when it sees one; its check reads the
    // file again, so choosing "overwrite" passes.)
    const lastModified = this._seen.get(path);
    const entry = await this._request<IEntry>(
      path,
      {},
      {
        method: 'PUT',
        body: JSON.stringify({
          content,
          format,
          ...(lastModified ? { last_modified: lastModified } : {})
        })
      }
    );
    this._seen.set(path, entry.mtime);
    const model = this._model(entry, localPath, false);
    this._fileChanged.emit({ type: 'save', oldValue: null, newValue: model });
    return model;
  }

  async copy(localPath: string, toLocalDir: string): Promise<Contents.IModel> {
    const source = await this._request<IEntry>(Private.absolute(localPath), {
      content: '1'
    });
    if (source.type === 'directory') {
      throw new Error('Copying a folder out of a container is not supported.');
    }
    const dir = Private.absolute(toLocalDir);
    const listing = await this._request<IEntry>(dir, {});
    const taken = new Set((listing.entries ?? []).map(e => e.name));
    const dot = source.name.lastIndexOf('.');
    const stem = dot > 0 ? source.name.slice(0, dot) : source.name;
    const ext = dot > 0 ? source.name.slice(dot) : '';
    let name = `${stem}-Copy1${ext}`;
    for (let i = 2; taken.has(name); i++) {
      name = `${stem}-Copy${i}${ext}`;
    }
    const path = Private.join(dir, name);
    const entry = await this._request<IEntry>(
      path,
      {},
      {
        method: 'PUT',
        body: JSON.stringify({ content: source.content, format: source.format })
      }
    );
    const model = this._model(entry, Private.local(path), false);
    this._fileChanged.emit({ type: 'new', oldValue: null, newValue: model });
    return model;
  }

  // Docker keeps no earlier versions of a container's files: there are no checkpoints.
  async createCheckpoint(
    localPath: string
  ): Promise<Contents.ICheckpointModel> {
    return { id: 'none', last_modified: new Date().toISOString() };
  }

  async listCheckpoints(
    localPath: string
  ): Promise<Contents.ICheckpointModel[]> {
    return [];
  }

  async restoreCheckpoint(
    localPath: string,
    checkpointID: string
  ): Promise<void> {
    throw new Error('Files inside containers have no checkpoints to restore.');
  }

  async deleteCheckpoint(
    localPath: string,
    checkpointID: string
  ): Promise<void> {
    return;
  }

  private async _request<T>(
    path: string,
    query: Record<string, string>,
    init: RequestInit = {}
  ): Promise<T> {
    return requestFiles<T>(
      this.container,
      this.engine,
      path,
      query,
      init,
      this.serverSettings
    );
  }

  private _model(
    entry: IEntry,
    localPath: string,
    withContent: boolean
  ): Contents.IModel {
    const isDir =
      entry.type === 'directory' ||
      (entry.type === 'symlink' && entry.points_to === 'directory') ||
      !!entry.entries;
    const notebook = !isDir && entry.name.endsWith('.ipynb');
    let content: unknown = null;
    let format: Contents.FileFormat = null;
    if (withContent && isDir) {
      content = (entry.entries ?? []).map(child =>
        this._model(child, Private.join(localPath, child.name), false)
      );
      format = 'json';
    } else if (withContent && entry.content !== undefined) {
      if (notebook) {
        content = JSON.parse(entry.content);
        format = 'json';
      } else {
        content = entry.content;
        format = entry.format ?? 'text';
      }
    }
    const mimetype = isDir
      ? ''
      : entry.format === 'base64'
        ? 'application/octet-stream'
        : 'text/plain';
    return {
      name: entry.name === '/' ? '' : entry.name,
      path: Private.local(localPath),
      type: isDir ? 'directory' : notebook ? 'notebook' : 'file',
      writable: true,
      created: entry.mtime,
      last_modified: entry.mtime,
      mimetype,
      content,
      format,
      size: isDir ? undefined : entry.size
    } as Contents.IModel;
  }

  private _seen = new Map<string, string>();
  private _chunks = new Map<string, string[]>();
  private _isDisposed = false;
  private _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
}

namespace Private {
  /** A drive-local path (`etc/hostname`) as the container's (`/etc/hostname`). */
  export function absolute(localPath: string): string {
    const clean = localPath.replace(/^[^:/]*:/, '').replace(/^\/+/, '');
    return '/' + clean;
  }

  /** A container path as the drive-local one JupyterLab uses (no leading slash). */
  export function local(path: string): string {
    return path.replace(/^[^:/]*:/, '').replace(/^\/+/, '');
  }

  /** Base64 pieces (each one whole: JupyterLab cuts the file, then encodes each piece) as one. */
  export function joinBase64(pieces: string[]): string {
    if (pieces.length === 1) {
      return pieces[0];
    }
    const parts = pieces.map(p => atob(p));
    let binary = '';
    for (const part of parts) {
      binary += part;
    }
    return btoa(binary);
  }

  export function join(dir: string, name: string): string {
    return dir.endsWith('/') || dir === '' ? `${dir}${name}` : `${dir}/${name}`;
  }
}

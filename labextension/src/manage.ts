/**
 * Creating and removing containers from JupyterLab: the "New container…" dialog (local images
 * only, fields checked as they are typed) and the "Remove…" confirmation.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import {
  LittleWingsAPIError,
  createContainer,
  fetchImages,
  removeContainer
} from './api';
import { IContainerSummary } from './console';
export type { IImage, INewContainerValues } from './containerform';
import {
  EMPTY_FORM,
  formField,
  IImage,
  inFormWords,
  INewContainerValues,
  toSpec,
  validate
} from './containerform';

let formCounter = 0;

/** The body of the "New container" dialog: a form that checks itself as it is filled. */
export class NewContainerForm extends Widget {
  constructor(
    private readonly _images: IImage[],
    values: INewContainerValues,
    serverError?: { field: string | null; message: string }
  ) {
    super();
    this.addClass('jp-LittleWings-newContainer');
    const form = document.createElement('form');
    form.addEventListener('submit', event => event.preventDefault());
    this.node.appendChild(form);

    const datalist = document.createElement('datalist');
    datalist.id = `jp-LittleWings-images-${++formCounter}`;
    for (const image of _images) {
      for (const tag of image.tags) {
        const option = document.createElement('option');
        option.value = tag;
        datalist.appendChild(option);
      }
    }
    form.appendChild(datalist);

    this._field(form, 'image', 'Image', 'input', {
      list: datalist.id,
      placeholder: 'a local image, e.g. busybox:latest',
      value: values.image
    });
    this._field(form, 'name', 'Name', 'input', {
      placeholder: 'optional: Docker picks one',
      value: values.name
    });
    this._field(form, 'command', 'Command', 'input', {
      placeholder: "optional: the image's; sh -c '…' for a shell line",
      value: values.command
    });
    this._field(form, 'env', 'Environment', 'textarea', {
      placeholder: 'NAME=value, one a line',
      value: values.env
    });
    this._field(form, 'ports', 'Ports', 'input', {
      placeholder: 'HOST:CONTAINER, e.g. 8080:80, 127.0.0.1:53:53/udp',
      value: values.ports
    });
    this._field(form, 'volumes', 'Volumes', 'input', {
      placeholder: 'named volumes, e.g. data:/data, cache:/cache:ro',
      value: values.volumes
    });
    this._field(form, 'memory', 'Memory limit', 'input', {
      placeholder: 'e.g. 256m',
      value: values.memory
    });
    this._field(form, 'swap', 'Memory + swap', 'input', {
      placeholder: 'e.g. 512m',
      value: values.swap
    });
    this._field(form, 'cpus', 'CPUs', 'input', {
      placeholder: 'e.g. 0.5',
      value: values.cpus,
      inputmode: 'decimal'
    });
    this._field(form, 'labels', 'Labels', 'textarea', {
      placeholder: 'KEY=value, one a line',
      value: values.labels
    });
    this._field(form, 'network', 'Network', 'input', {
      placeholder: 'optional: bridge, a network of yours',
      value: values.network
    });
    const restart = this._field(form, 'restart', 'Restart', 'select', {});
    for (const policy of ['no', 'always', 'unless-stopped', 'on-failure']) {
      const option = document.createElement('option');
      option.value = policy;
      option.textContent = policy;
      restart.appendChild(option);
    }
    (restart as HTMLSelectElement).value = values.restart;
    const flags = document.createElement('div');
    flags.className = 'jp-LittleWings-newContainerFlags';
    for (const [key, label] of [
      ['stdin', 'Keep stdin open (-i)'],
      ['tty', 'TTY (-t)'],
      ['start', 'Start it']
    ] as const) {
      const wrap = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = key;
      box.checked = values[key];
      wrap.append(box, document.createTextNode(` ${label}`));
      flags.appendChild(wrap);
      this._inputs.set(key, box);
    }
    form.appendChild(flags);
    this._serverError = document.createElement('div');
    this._serverError.className = 'jp-LittleWings-formError';
    this._serverError.setAttribute('role', 'alert');
    form.appendChild(this._serverError);
    if (serverError) {
      // The server's words (in the form's names) at the field they are about, which keeps
      // them until it is changed, and said once below the form.

      const field = serverError.field ? formField(serverError.field) : null;
      const message = inFormWords(serverError.message);
      if (field && this._errors.has(field)) {
        this._serverErrors.set(field, message);
        // The value refused, as the form was made with it (kept until that field changes).
        const input = this._inputs.get(field) as HTMLInputElement | undefined;
        this._refusedValues.set(field, input?.value ?? '');
      }
      this._serverError.textContent = `The server refused it: ${message}`;
    }
    form.addEventListener('input', () => this._check());
    form.addEventListener('change', () => this._check());
  }

  /** The values as typed. */
  get values(): INewContainerValues {
    const text = (key: string) =>
      (this._inputs.get(key) as HTMLInputElement | undefined)?.value ?? '';
    const flag = (key: string) =>
      (this._inputs.get(key) as HTMLInputElement | undefined)?.checked ?? false;
    return {
      image: text('image'),
      name: text('name'),
      command: text('command'),
      env: text('env'),
      ports: text('ports'),
      volumes: text('volumes'),
      memory: text('memory'),
      swap: text('swap'),
      cpus: text('cpus'),
      restart: text('restart') || 'no',
      labels: text('labels'),
      network: text('network'),
      stdin: flag('stdin'),
      tty: flag('tty'),
      start: flag('start')
    };
  }

  getValue(): INewContainerValues {
    return this.values;
  }

  protected onAfterAttach(): void {
    this._check();
    (this._inputs.get('image') as HTMLInputElement).focus();
  }

  /** Show what is wrong and let "Create" be pressed only when nothing is. */
  private _check(): void {
    const errors = validate(this.values, this._images);
    // The server's refusal stays at its field until that field is changed.
    for (const [key, message] of this._serverErrors) {
      const input = this._inputs.get(key) as HTMLInputElement | undefined;
      if (input && input.value !== this._refusedValues.get(key)) {
        this._serverErrors.delete(key);
      } else if (!errors[key]) {
        errors[key] = message;
      }
    }
    for (const [key, node] of this._errors) {
      const input = this._inputs.get(key);
      node.textContent = errors[key] ?? '';
      input?.classList.toggle('jp-mod-invalid', !!errors[key]);
      input?.setAttribute('aria-invalid', String(!!errors[key]));
    }
    const accept = this.node
      .closest('.jp-Dialog-content')
      ?.querySelector<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept');
    if (accept) {
      accept.disabled = Object.keys(errors).length > 0;
    }
  }

  private _field(
    form: HTMLFormElement,
    key: string,
    label: string,
    tag: 'input' | 'textarea' | 'select',
    attributes: Record<string, string>
  ): HTMLElement {
    const row = document.createElement('label');
    row.className = 'jp-LittleWings-formRow';
    const caption = document.createElement('span');
    caption.className = 'jp-LittleWings-formLabel';
    caption.textContent = label;
    const input = document.createElement(tag);
    input.name = key;
    input.className = 'jp-mod-styled';
    for (const [name, value] of Object.entries(attributes)) {
      if (name === 'value') {
        (input as HTMLInputElement).value = value;
      } else {
        input.setAttribute(name, value);
      }
    }
    if (tag === 'input') {
      (input as HTMLInputElement).spellcheck = false;
      (input as HTMLInputElement).autocomplete = 'off';
    }
    const error = document.createElement('span');
    error.className = 'jp-LittleWings-fieldError';
    row.append(caption, input, error);
    form.appendChild(row);
    this._inputs.set(key, input);
    this._errors.set(key, error);
    return input;
  }

  private _inputs = new Map<string, HTMLElement>();
  private _errors = new Map<string, HTMLElement>();
  private _serverError: HTMLDivElement;
  private _serverErrors = new Map<string, string>();
  private _refusedValues = new Map<string, string>();
}

/**
 * Ask for a new container and create it; its summary, or null when cancelled. A refusal of the
 * server opens the dialog again with what was typed and the server's words at the field.
 */
export async function newContainerDialog(
  initial: Partial<INewContainerValues> = {},
  engine = ''
): Promise<IContainerSummary | null> {
  const images = await fetchImages(engine);
  let values: INewContainerValues = {
    ...EMPTY_FORM,
    image: images.find(i => i.tags.length)?.tags[0] ?? '',
    ...initial
  };
  let error: { field: string | null; message: string } | undefined;
  for (;;) {
    const form = new NewContainerForm(images, values, error);
    const result = await showDialog({
      title: engine ? `New container on ${engine}` : 'New container',
      body: form,
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: 'Create', ariaLabel: 'Create the container' })
      ],
      focusNodeSelector: 'input[name=image]'
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    values = result.value;
    try {
      return await createContainer(toSpec(values), engine);
    } catch (err) {
      if (err instanceof LittleWingsAPIError) {
        error = { field: err.field, message: err.message };
      } else {
        error = { field: null, message: String(err) };
      }
    }
  }
}

/** Confirm and remove a container; true when it was removed. */
export async function removeContainerDialog(
  container: IContainerSummary,
  engine = ''
): Promise<boolean> {
  const running = ['running', 'paused', 'restarting'].includes(
    container.state ?? ''
  );
  const body = document.createElement('div');
  body.className = 'jp-LittleWings-removeBody';
  const text = document.createElement('p');
  text.textContent = running
    ? `${container.name} is ${container.state}: it will be killed and removed, with its logs and files.`
    : `${container.name} will be removed, with its logs and files.`;
  const wrap = document.createElement('label');
  const volumes = document.createElement('input');
  volumes.type = 'checkbox';
  volumes.name = 'volumes';
  wrap.append(
    volumes,
    document.createTextNode(' Also remove its anonymous volumes')
  );
  body.append(text, wrap);
  const result = await showDialog({
    title: engine ? `Remove container on ${engine}` : 'Remove container',
    body: new Widget({ node: body }),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: 'Remove', ariaLabel: 'Remove the container' })
    ],
    defaultButton: 0
  });
  if (!result.button.accept) {
    return false;
  }
  await removeContainer(
    container.id,
    { force: running, volumes: volumes.checked },
    engine
  );
  return true;
}

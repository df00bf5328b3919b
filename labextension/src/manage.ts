/**
 * Creating and removing containers from JupyterLab: the "New container…" dialog (local images
 * only, fields checked as they are typed) and the "Remove…" confirmation.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { LittleWingsAPIError, requestAPI } from './api';
import { IContainerSummary, splitCommand } from './console';

/** A local image as `GET api/littlewings/images` lists it. */
export interface IImage {
  id: string;
  tags: string[];
  size: number;
  created: number;
}

/** `?engine=<name>`, or nothing for the default engine. */
function engineQuery(engine: string, glue = '?'): string {
  return engine ? `${glue}engine=${encodeURIComponent(engine)}` : '';
}

export async function fetchImages(engine = ''): Promise<IImage[]> {
  const body = await requestAPI<{ images?: IImage[] }>(
    `images${engineQuery(engine)}`
  );
  return body?.images ?? [];
}

/** `POST api/littlewings/containers`: the new container's summary. */
export async function createContainer(
  spec: Record<string, unknown>,
  engine = ''
): Promise<IContainerSummary> {
  const body = await requestAPI<{ container: IContainerSummary }>(
    `containers${engineQuery(engine)}`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(spec)
    }
  );
  return body.container;
}

/** `DELETE api/littlewings/containers/{id}`. */
export async function removeContainer(
  id: string,
  options: { force: boolean; volumes: boolean },
  engine = ''
): Promise<void> {
  const query = `force=${options.force ? 1 : 0}&volumes=${options.volumes ? 1 : 0}${engineQuery(engine, '&')}`;
  await requestAPI(`containers/${encodeURIComponent(id)}?${query}`, {
    method: 'DELETE'
  });
}

let formCounter = 0;

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const SIZE = /^\d+(\.\d+)?\s*([bkmgt]i?b?)?$/i;
const PORT =
  /^(?:(?:[0-9a-fA-F.:]+):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp|sctp))?$/;
const VOLUME = /^([^:]+):(\/[^:]*)(?::(ro|rw))?$/;

/** The values the form holds, as the user typed them. */
export interface INewContainerValues {
  image: string;
  name: string;
  command: string;
  env: string;
  ports: string;
  volumes: string;
  memory: string;
  swap: string;
  cpus: string;
  restart: string;
  stdin: boolean;
  tty: boolean;
  start: boolean;
}

const EMPTY: INewContainerValues = {
  image: '',
  name: '',
  command: '',
  env: '',
  ports: '',
  volumes: '',
  memory: '',
  swap: '',
  cpus: '',
  restart: 'no',
  stdin: false,
  tty: false,
  start: true
};

function list(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map(s => s.trim())
    .filter(Boolean);
}

/**
 * What is wrong with the values, field by field (the server checks again and has the last
 * word; this only saves a round trip).
 */
export function validate(
  values: INewContainerValues,
  images: IImage[]
): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!values.image.trim()) {
    errors.image = 'Choose a local image.';
  } else if (
    images.length &&
    !images.some(
      i => i.tags.includes(values.image.trim()) || i.id === values.image.trim()
    )
  ) {
    errors.image = 'No local image of that name (images are not pulled).';
  }
  if (values.name && !NAME.test(values.name)) {
    errors.name =
      'Letters, digits and _ . - only, starting with a letter or digit.';
  }
  for (const line of values.env.split('\n').filter(l => l.trim())) {
    if (!/^[^=\s]+=/.test(line.trim())) {
      errors.env = `"${line.trim()}" is not NAME=value.`;
      break;
    }
  }
  for (const port of list(values.ports)) {
    const m = PORT.exec(port);
    if (
      !m ||
      Number(m[1]) > 65535 ||
      Number(m[2]) < 1 ||
      Number(m[2]) > 65535
    ) {
      errors.ports = `"${port}" is not HOST:CONTAINER (e.g. 8080:80, 127.0.0.1:53:53/udp).`;
      break;
    }
  }
  for (const volume of list(values.volumes)) {
    if (!VOLUME.test(volume)) {
      errors.volumes = `"${volume}" is not SOURCE:/path[:ro].`;
      break;
    }
  }
  for (const [key, text] of [
    ['memory', values.memory],
    ['swap', values.swap]
  ] as const) {
    if (text && !SIZE.test(text.trim())) {
      errors[key] = 'A size such as 512m or 2g.';
    }
  }
  if (values.swap && !values.memory) {
    errors.swap = 'Memory + swap: set the memory limit too.';
  }
  if (values.cpus && !(Number(values.cpus) > 0)) {
    errors.cpus = 'A number of CPUs, more than 0 (e.g. 0.5).';
  }
  return errors;
}

/** The request body for the values (checked by `validate` first). */
export function toSpec(values: INewContainerValues): Record<string, unknown> {
  const spec: Record<string, unknown> = { image: values.image.trim() };
  const argv = splitCommand(values.command);
  if (argv.length) {
    spec.command = argv;
  }
  if (values.name.trim()) {
    spec.name = values.name.trim();
  }
  const env = values.env
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean);
  if (env.length) {
    spec.env = env;
  }
  if (list(values.ports).length) {
    spec.ports = list(values.ports);
  }
  if (list(values.volumes).length) {
    spec.volumes = list(values.volumes);
  }
  if (values.memory.trim()) {
    spec.mem_limit = values.memory.trim();
  }
  if (values.swap.trim()) {
    spec.memswap_limit = values.swap.trim();
  }
  if (values.cpus.trim()) {
    spec.cpus = Number(values.cpus);
  }
  if (values.restart !== 'no') {
    spec.restart_policy = values.restart;
  }
  spec.stdin_open = values.stdin;
  spec.tty = values.tty;
  spec.start = values.start;
  return spec;
}

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
      this._serverError.textContent = serverError.message;
      if (
        serverError.field &&
        this._errors.has(Private.formField(serverError.field))
      ) {
        this._errors.get(Private.formField(serverError.field))!.textContent =
          serverError.message;
      }
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
    ...EMPTY,
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

namespace Private {
  /** The form's field for a field of the server's answer. */
  export function formField(field: string): string {
    return (
      (
        {
          mem_limit: 'memory',
          memswap_limit: 'swap',
          restart_policy: 'restart',
          environment: 'env'
        } as Record<string, string>
      )[field] ?? field
    );
  }
}

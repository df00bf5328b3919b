/**
 * The "New container" form's values: what is wrong with them, field by field, and the request
 * body they make. Pure (no DOM, no server): the dialog in manage.ts uses it, and it is tested
 * alone (src/__tests__/containerform.spec.ts).
 */
import { splitCommand } from './console/shell';

/** A local image as `GET api/littlewings/images` lists it. */
export interface IImage {
  id: string;
  tags: string[];
  size: number;
  created: number;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const SIZE = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i;
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4
};
const MIN_MEMORY = 6 * 1024 * 1024; // Docker refuses less
const NETWORK =
  /^(?:[a-zA-Z0-9][a-zA-Z0-9_.-]*|container:[a-zA-Z0-9][a-zA-Z0-9_.-]*)$/;
const LABEL_KEY = /^[^=\s]+$/;

/** Bytes of a size as `docker run --memory` takes it (`512m`, `1.5g`), or null. */
export function parseSize(text: string): number | null {
  const m = SIZE.exec(text.trim());
  return m ? Math.floor(Number(m[1]) * UNITS[m[2].toLowerCase()]) : null;
}
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
  /** `KEY=value`, one a line. */
  labels: string;
  /** A network's name (or `host`, `container:<name>` where the server allows them). */
  network: string;
  stdin: boolean;
  tty: boolean;
  start: boolean;
}

export const EMPTY_FORM: INewContainerValues = {
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
  labels: '',
  network: '',
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
  const memory = values.memory.trim() ? parseSize(values.memory) : null;
  if (values.memory.trim() && memory === null) {
    errors.memory = 'A size such as 512m or 2g.';
  } else if (memory !== null && memory < MIN_MEMORY) {
    errors.memory = 'Docker needs at least 6m.';
  }
  const swapText = values.swap.trim();
  const swap = swapText && swapText !== '-1' ? parseSize(swapText) : null;
  if (swapText && swapText !== '-1' && swap === null) {
    errors.swap = 'A size such as 512m or 2g (or -1: no limit).';
  } else if (swapText && !values.memory.trim()) {
    errors.swap = 'Set the memory limit too: this is memory and swap together.';
  } else if (swap !== null && memory !== null && swap < memory) {
    errors.swap = `At least the memory limit (${values.memory.trim()}): this is memory and swap together.`;
  }
  for (const line of values.labels.split('\n').filter(l => l.trim())) {
    const [key] = line.trim().split('=', 1);
    if (!line.includes('=') || !LABEL_KEY.test(key)) {
      errors.labels = `"${line.trim()}" is not KEY=value.`;
      break;
    }
  }
  if (values.network.trim() && !NETWORK.test(values.network.trim())) {
    errors.network =
      "A network's name (e.g. bridge, my-net), or container:<name>.";
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
  const labels = values.labels
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean);
  if (labels.length) {
    spec.labels = labels;
  }
  if (values.network.trim()) {
    spec.network = values.network.trim();
  }
  spec.stdin_open = values.stdin;
  spec.tty = values.tty;
  spec.start = values.start;
  return spec;
}

const FORM_FIELDS: Record<string, string> = {
  mem_limit: 'memory',
  memswap_limit: 'swap',
  restart_policy: 'restart',
  environment: 'env'
};

const LABELS: Record<string, string> = {
  image: 'Image',
  name: 'Name',
  command: 'Command',
  env: 'Environment',
  ports: 'Ports',
  volumes: 'Volumes',
  memory: 'Memory limit',
  swap: 'Memory + swap',
  cpus: 'CPUs',
  restart: 'Restart',
  labels: 'Labels',
  network: 'Network'
};

/** The form's field for a field of the server's answer. */
export function formField(field: string): string {
  return FORM_FIELDS[field] ?? field;
}

/** The server's message with its wire names ('mem_limit') as the form names them. */
export function inFormWords(message: string): string {
  return message.replace(/'([a-z_]+)'/g, (whole, wire: string) => {
    const label = LABELS[formField(wire)];
    return label ? `“${label}”` : whole;
  });
}

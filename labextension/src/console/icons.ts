/**
 * The console's icons as plain SVG (no JupyterLab dependency, so a notebook widget can reuse
 * them). They paint with `currentColor`; CSS picks the colour from the theme.
 */

const svg = (body: string, viewBox = '0 0 16 16'): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${viewBox}" width="16" height="16" aria-hidden="true" focusable="false">${body}</svg>`;

export const ICONS = {
  start: svg(
    '<path fill="currentColor" d="M4.5 2.8v10.4a.6.6 0 0 0 .9.5l8.2-5.2a.6.6 0 0 0 0-1L5.4 2.3a.6.6 0 0 0-.9.5z"/>'
  ),
  stop: svg(
    '<rect fill="currentColor" x="3.5" y="3.5" width="9" height="9" rx="1.2"/>'
  ),
  restart: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" d="M13 8a5 5 0 1 1-1.6-3.7"/><path fill="currentColor" d="M13.6 1.8v4.1H9.5z"/>'
  ),
  pause: svg(
    '<rect fill="currentColor" x="3.8" y="3" width="3" height="10" rx=".8"/><rect fill="currentColor" x="9.2" y="3" width="3" height="10" rx=".8"/>'
  ),
  unpause: svg(
    '<path fill="currentColor" d="M4.5 2.8v10.4a.6.6 0 0 0 .9.5l8.2-5.2a.6.6 0 0 0 0-1L5.4 2.3a.6.6 0 0 0-.9.5z"/>'
  ),
  kill: svg('<path fill="currentColor" d="M9.2 1 3 9h4.2l-.9 6L13 7H8.6z"/>'),
  console: svg(
    '<rect fill="none" stroke="currentColor" stroke-width="1.3" x="1.7" y="2.7" width="12.6" height="10.6" rx="1.5"/><path fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" stroke-linejoin="round" d="m4.5 6 2 2-2 2M8 10.5h3.5"/>'
  ),
  search: svg(
    '<circle fill="none" stroke="currentColor" stroke-width="1.5" cx="6.8" cy="6.8" r="4.3"/><path stroke="currentColor" stroke-width="1.7" stroke-linecap="round" d="m10.2 10.2 3.8 3.8"/>'
  ),
  up: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" d="m4 10 4-4 4 4"/>'
  ),
  down: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" d="m4 6 4 4 4-4"/>'
  ),
  clock: svg(
    '<circle fill="none" stroke="currentColor" stroke-width="1.4" cx="8" cy="8" r="6"/><path fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" d="M8 4.6V8l2.4 1.6"/>'
  ),
  clear: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round" d="M6.5 13.5h7M2.8 10.2l5.9-6.9a1 1 0 0 1 1.4-.1l2.6 2.2a1 1 0 0 1 .1 1.4L8 13.5H5.6z"/><path stroke="currentColor" stroke-width="1.4" d="m5.5 7 4.5 3.8"/>'
  ),
  download: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" d="M8 2v8.5M4.5 7 8 10.5 11.5 7M2.5 13.5h11"/>'
  ),
  follow: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" d="M8 2.5v9M4 7.5l4 4 4-4M3 14h10"/>'
  ),
  copy: svg(
    '<rect fill="none" stroke="currentColor" stroke-width="1.3" x="5.2" y="5.2" width="8.3" height="8.3" rx="1.2"/><path fill="none" stroke="currentColor" stroke-width="1.3" d="M10.8 3.2V3a.8.8 0 0 0-.8-.8H3a.8.8 0 0 0-.8.8v7a.8.8 0 0 0 .8.8h.2"/>'
  ),
  shell: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" d="m2.5 4.5 3.5 3.5-3.5 3.5M7.5 12.5h6"/>'
  ),
  logs: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" d="M2.5 4h11M2.5 8h11M2.5 12h7"/>'
  ),
  merged: svg(
    '<circle fill="currentColor" cx="3" cy="4" r="1.5"/><circle fill="currentColor" cx="3" cy="8" r="1.5" opacity=".7"/><circle fill="currentColor" cx="3" cy="12" r="1.5" opacity=".45"/><path fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" d="M6.5 4h7M6.5 8h5M6.5 12h6"/>'
  ),
  plus: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" d="M8 3v10M3 8h10"/>'
  ),
  close: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" d="m4.5 4.5 7 7m0-7-7 7"/>'
  ),
  send: svg(
    '<path fill="currentColor" d="M2 13.6 14.5 8 2 2.4l.1 4.4L10 8l-7.9 1.2z"/>'
  ),
  history: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" d="M2.5 8a5.5 5.5 0 1 0 1.6-3.9M2.5 2.5v2.3h2.3M8 5v3.2l2 1.3"/>'
  ),
  pin: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round" d="M6 2h4l-.6 4.2 2.6 2.3H4l2.6-2.3zM8 8.5V14"/>'
  ),
  raw: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" d="M5 3 2 8l3 5M11 3l3 5-3 5"/>'
  )
};

export type IconName = keyof typeof ICONS;

/** An icon element for `name`. */
export function iconNode(
  name: IconName,
  className = 'jp-LittleWings-icon'
): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = className;
  span.innerHTML = ICONS[name];
  return span;
}

/** What {@link searchBox} builds. */
export interface ISearchBoxOptions {
  /** The box's class; its icon gets `${className}Icon`, its input `${className}Input`. */
  className: string;
  placeholder: string;
  label: string;
}

/** A search field with its magnifier, as the console and the sidebar both show one. */
export function searchBox(options: ISearchBoxOptions): {
  box: HTMLDivElement;
  input: HTMLInputElement;
} {
  const box = document.createElement('div');
  box.className = options.className;
  box.appendChild(
    iconNode('search', `jp-LittleWings-icon ${options.className}Icon`)
  );
  const input = document.createElement('input');
  input.type = 'search';
  input.className = `${options.className}Input`;
  input.placeholder = options.placeholder;
  input.setAttribute('aria-label', options.label);
  input.spellcheck = false;
  box.appendChild(input);
  return { box, input };
}

/** The glyphs of the state badges (shape and colour both tell the state). */
export const STATE_GLYPHS: Record<string, string> = {
  running: svg('<circle fill="currentColor" cx="8" cy="8" r="4.5"/>'),
  healthy: svg(
    '<circle fill="currentColor" cx="8" cy="8" r="6"/><path fill="none" stroke="var(--jp-layout-color1, #fff)" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" d="m5.3 8.2 1.8 1.8 3.6-3.8"/>'
  ),
  unhealthy: svg(
    '<circle fill="currentColor" cx="8" cy="8" r="6"/><path stroke="var(--jp-layout-color1, #fff)" stroke-width="1.7" stroke-linecap="round" d="M8 4.8v3.6M8 11.1v.1"/>'
  ),
  starting: svg(
    '<circle fill="none" stroke="currentColor" stroke-width="1.8" stroke-dasharray="3 2.2" cx="8" cy="8" r="5"/>'
  ),
  paused: svg(
    '<rect fill="currentColor" x="4.3" y="3.5" width="2.6" height="9" rx=".7"/><rect fill="currentColor" x="9.1" y="3.5" width="2.6" height="9" rx=".7"/>'
  ),
  restarting: svg(
    '<path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" d="M12.6 8a4.6 4.6 0 1 1-1.5-3.4"/><path fill="currentColor" d="M13.4 2.4v4.1H9.3z"/>'
  ),
  created: svg(
    '<circle fill="none" stroke="currentColor" stroke-width="1.6" cx="8" cy="8" r="4.2"/>'
  ),
  exited: svg(
    '<rect fill="none" stroke="currentColor" stroke-width="1.6" x="4" y="4" width="8" height="8" rx="1.5"/>'
  ),
  failed: svg(
    '<path fill="currentColor" d="M8 1.8 14.6 13a.8.8 0 0 1-.7 1.2H2.1a.8.8 0 0 1-.7-1.2z"/><path stroke="var(--jp-layout-color1, #fff)" stroke-width="1.6" stroke-linecap="round" d="M8 6.3v3.2M8 11.7v.1"/>'
  ),
  dead: svg(
    '<path stroke="currentColor" stroke-width="1.8" stroke-linecap="round" d="m4.5 4.5 7 7m0-7-7 7"/>'
  ),
  removing: svg(
    '<path stroke="currentColor" stroke-width="1.8" stroke-linecap="round" d="M4 8h8"/>'
  ),
  unknown: svg(
    '<circle fill="none" stroke="currentColor" stroke-width="1.4" stroke-dasharray="2 2" cx="8" cy="8" r="4.5"/>'
  )
};

/** A state badge element. */
export function stateNode(state: string, title: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = `jp-LittleWings-state jp-LittleWings-state-${state}`;
  span.title = title;
  span.setAttribute('role', 'img');
  span.setAttribute('aria-label', title);
  span.innerHTML = STATE_GLYPHS[state] ?? STATE_GLYPHS.unknown;
  return span;
}

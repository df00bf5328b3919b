import { IconName, iconNode, searchBox } from './icons';
import { lineControls } from './loglines';
import { LogView } from './logview';
import { addOverflowMenu } from './overflow';
import { Level } from './structured';

/** A button with an icon, a tooltip and (shown when there is room) a word. */
export function iconButton(
  icon: IconName,
  title: string,
  label?: string
): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'jp-LittleWings-button';
  button.title = title;
  button.setAttribute('aria-label', label ?? title);
  button.appendChild(iconNode(icon));
  if (label) {
    const text = document.createElement('span');
    text.className = 'jp-LittleWings-buttonLabel';
    text.textContent = label;
    button.appendChild(text);
  }
  return button;
}

/** A download the toolbar offers (the single console has one, a merged view two). */
export interface IToolbarDownload {
  title: string;
  label: string;
  className: string;
  run: () => void;
}

/** What the toolbar's controls do: the console they belong to. */
export interface ILogToolbarOptions {
  /** The next or previous match of the search box's text. */
  find: (direction: 'next' | 'previous') => void;
  /** The log view the search box searches as it is typed in. */
  view: LogView;
  /** Escape in the search box (after it was emptied and the search cleared). */
  escaped?: () => void;
  /** "All history": the server-side search of the whole log, for the box's text. */
  toggleHistory: (term: string) => void;
  /** Whether Docker's timestamps are shown at first. */
  timestamps: boolean;
  setTimestamps: (on: boolean) => void;
  clear: () => void;
  setLineOptions: (options: { raw: boolean; minLevel: Level | null }) => void;
  downloads: IToolbarDownload[];
}

/** The toolbar of a log view, and the parts of it its console updates. */
export interface ILogToolbar {
  node: HTMLDivElement;
  searchInput: HTMLInputElement;
  searchCount: HTMLSpanElement;
  timestampsButton: HTMLButtonElement;
}

/**
 * The toolbar both consoles (one container's, a merged view's) put above their logs: the search
 * box with its count and arrows, All history, the level filter, Raw, Timestamps, Clear and the
 * downloads; in a narrow panel everything but the search and the level goes to "More".
 */
export function logToolbar(options: ILogToolbarOptions): ILogToolbar {
  const bar = document.createElement('div');
  bar.className = 'jp-LittleWings-consoleToolbar';

  const { box: search, input } = searchBox({
    className: 'jp-LittleWings-search',
    placeholder: 'Search logs',
    label: 'Search logs'
  });
  const searchChanged = () => {
    if (input.value) {
      options.view.findNext(input.value, true);
    } else {
      options.view.clearSearch();
    }
  };
  input.addEventListener('input', searchChanged);
  input.addEventListener('keydown', event => {
    if (event.key === 'Enter') {
      event.preventDefault();
      options.find(event.shiftKey ? 'previous' : 'next');
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      input.value = '';
      searchChanged();
      options.escaped?.();
    }
  });
  const searchCount = document.createElement('span');
  searchCount.className = 'jp-LittleWings-searchCount';
  searchCount.setAttribute('aria-live', 'polite');
  const previous = iconButton('up', 'Previous match (Shift+Enter)');
  previous.addEventListener('click', () => options.find('previous'));
  const next = iconButton('down', 'Next match (Enter)');
  next.addEventListener('click', () => options.find('next'));
  search.append(searchCount, previous, next);

  const history = iconButton(
    'history',
    'Search all history: the whole log on the server, not only what is on screen',
    'All history'
  );
  history.classList.add('jp-LittleWings-historyButton');
  history.addEventListener('click', () => options.toggleHistory(input.value));

  const spacer = document.createElement('span');
  spacer.className = 'jp-LittleWings-spacer';

  const timestamps = iconButton('clock', 'Show timestamps', 'Timestamps');
  timestamps.classList.add('jp-LittleWings-timestamps');
  timestamps.setAttribute('aria-pressed', String(options.timestamps));
  timestamps.classList.toggle('jp-mod-active', options.timestamps);
  timestamps.addEventListener('click', () =>
    options.setTimestamps(timestamps.getAttribute('aria-pressed') !== 'true')
  );

  const clear = iconButton('clear', 'Clear the view', 'Clear');
  clear.classList.add('jp-LittleWings-clear');
  clear.addEventListener('click', () => options.clear());

  const controls = lineControls(options.setLineOptions);
  bar.append(
    search,
    history,
    spacer,
    controls.level,
    controls.raw,
    timestamps,
    clear
  );
  // In a narrow panel these go to the toolbar's "More" menu.
  const movable: HTMLElement[] = [history, controls.raw, timestamps, clear];
  for (const download of options.downloads) {
    const button = iconButton('download', download.title, download.label);
    button.classList.add(download.className);
    button.addEventListener('click', () => download.run());
    bar.appendChild(button);
    movable.push(button);
  }
  addOverflowMenu(bar, movable);
  return {
    node: bar,
    searchInput: input,
    searchCount,
    timestampsButton: timestamps
  };
}

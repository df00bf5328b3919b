import { ITheme } from '@xterm/xterm';

/**
 * Colours for xterm.js taken from JupyterLab's CSS variables, so the log view follows the light
 * and dark themes. xterm paints on a canvas and needs concrete colours: each variable is resolved
 * through a probe element. Outside JupyterLab (a notebook widget elsewhere) the fallbacks apply.
 */
export function xtermTheme(host: HTMLElement): ITheme {
  const probe = document.createElement('span');
  probe.style.display = 'none';
  host.appendChild(probe);
  const resolve = (expr: string, fallback: string): string => {
    probe.style.color = fallback;
    probe.style.color = expr;
    return toHex(getComputedStyle(probe).color) ?? fallback;
  };
  try {
    const background = resolve('var(--jp-layout-color0)', '#ffffff');
    const dark = luminance(background) < 0.4;
    const base = dark ? DARK : LIGHT;
    return {
      ...base,
      background,
      foreground: resolve(
        'var(--jp-content-font-color1)',
        dark ? '#e0e0e0' : '#212121'
      ),
      cursor: background,
      cursorAccent: background,
      selectionBackground: resolve(
        'var(--jp-editor-selected-focused-background, var(--jp-brand-color3))',
        dark ? '#264f78' : '#add6ff'
      ),
      overviewRulerBorder: background,
      red: resolve('var(--jp-error-color1)', base.red!),
      brightRed: resolve('var(--jp-error-color0)', base.brightRed!),
      green: resolve('var(--jp-success-color1)', base.green!),
      yellow: resolve('var(--jp-warn-color1)', base.yellow!),
      blue: resolve('var(--jp-brand-color1)', base.blue!),
      scrollbarSliderBackground: withAlpha(
        resolve('var(--jp-ui-font-color3)', '#9e9e9e'),
        0.35
      ),
      scrollbarSliderHoverBackground: withAlpha(
        resolve('var(--jp-ui-font-color2)', '#757575'),
        0.5
      ),
      scrollbarSliderActiveBackground: withAlpha(
        resolve('var(--jp-ui-font-color1)', '#616161'),
        0.5
      )
    };
  } finally {
    probe.remove();
  }
}

/**
 * Colours of search matches (#RRGGBB as xterm's search addon wants them). xterm keeps the text
 * colour over a match, so JupyterLab's inverse search colours would hide the text: amber tones
 * that keep it readable are picked by the background's lightness instead.
 */
export function searchColors(host: HTMLElement): {
  match: string;
  active: string;
  ruler: string;
} {
  const theme = xtermTheme(host);
  const dark = luminance(theme.background ?? '#ffffff') < 0.4;
  return dark
    ? { match: '#5c4300', active: '#a06800', ruler: '#ffb300' }
    : { match: '#ffe9a8', active: '#ffb74d', ruler: '#f57c00' };
}

/** The code font of the page. */
export function codeFont(host: HTMLElement): { family: string; size: number } {
  const style = getComputedStyle(host);
  const family =
    style.getPropertyValue('--jp-code-font-family').trim() ||
    "Menlo, Consolas, 'DejaVu Sans Mono', monospace";
  const size = parseFloat(style.getPropertyValue('--jp-code-font-size')) || 13;
  return { family, size };
}

function toHex(color: string): string | null {
  const m = /rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/.exec(color);
  if (!m) {
    return null;
  }
  return (
    '#' +
    [m[1], m[2], m[3]]
      .map(v => Math.round(Number(v)).toString(16).padStart(2, '0'))
      .join('')
  );
}

function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function luminance(hex: string): number {
  const n = parseInt(hex.slice(1), 16);
  return (
    (0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) /
    255
  );
}

// ANSI palettes readable on a light and on a dark background (xterm's defaults suit only dark).
const LIGHT: ITheme = {
  black: '#000000',
  red: '#c62828',
  green: '#2e7d32',
  yellow: '#8d6e00',
  blue: '#1565c0',
  magenta: '#8e24aa',
  cyan: '#00838f',
  white: '#616161',
  brightBlack: '#757575',
  brightRed: '#d32f2f',
  brightGreen: '#388e3c',
  brightYellow: '#a07800',
  brightBlue: '#1976d2',
  brightMagenta: '#9c27b0',
  brightCyan: '#0097a7',
  brightWhite: '#9e9e9e'
};

const DARK: ITheme = {
  black: '#3b3b3b',
  red: '#f44747',
  green: '#81c784',
  yellow: '#ffd54f',
  blue: '#64b5f6',
  magenta: '#ce93d8',
  cyan: '#4dd0e1',
  white: '#e0e0e0',
  brightBlack: '#9e9e9e',
  brightRed: '#ff6e6e',
  brightGreen: '#a5d6a7',
  brightYellow: '#ffe082',
  brightBlue: '#90caf9',
  brightMagenta: '#e1bee7',
  brightCyan: '#80deea',
  brightWhite: '#ffffff'
};

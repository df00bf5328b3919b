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

/**
 * The background of stderr lines: the theme's error colour faded into its background, enough
 * to tell the stream at a glance and leave every text colour readable on it.
 */
export function stderrTint(host: HTMLElement): string {
  const theme = xtermTheme(host);
  const background = theme.background ?? '#ffffff';
  const dark = luminance(background) < 0.4;
  return mix(background, theme.red ?? '#d32f2f', dark ? 0.14 : 0.07);
}

/** The ANSI colours container names are drawn in, as `docker compose logs` does (no red:
 * red marks stderr). */
const MEMBER_SLOTS: (keyof ITheme)[] = [
  'cyan',
  'yellow',
  'green',
  'magenta',
  'blue',
  'brightCyan',
  'brightYellow',
  'brightGreen',
  'brightMagenta',
  'brightBlue'
];

/** How many colours a merged view has for its containers. */
export const MEMBER_COLOR_COUNT = MEMBER_SLOTS.length;

/**
 * The colours of a merged view's containers (#RRGGBB, one per slot), from the xterm ANSI
 * palette of the page's theme. Each is made readable on the background (contrast ≥ 4.5, so
 * xterm draws it unchanged and a swatch shows the same colour), and a bright variant the theme
 * makes equal to its base (JupyterLab's brand and success colours stand for both) is set apart.
 */
export function memberColors(host: HTMLElement): string[] {
  const theme = xtermTheme(host);
  const background = theme.background ?? '#ffffff';
  const foreground = theme.foreground ?? '#000000';
  const dark = luminance(background) < 0.4;
  const colors: string[] = [];
  for (const slot of MEMBER_SLOTS) {
    let color = readable(
      String(theme[slot] ?? foreground),
      background,
      foreground
    );
    const near = colors.find(c => distance(c, color) < 48);
    if (near) {
      // Toward the foreground on a dark theme (lighter), toward black on a light one.
      color = readable(
        mix(near, dark ? '#ffffff' : '#000000', 0.35),
        background,
        foreground
      );
    }
    colors.push(color);
  }
  return colors;
}

/** WCAG contrast ratio of two #RRGGBB colours. */
export function contrastRatio(a: string, b: string): number {
  const la = relativeLuminance(a);
  const lb = relativeLuminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function readable(
  color: string,
  background: string,
  foreground: string
): string {
  let c =
    toHex(color) ?? (color.startsWith('#') ? color.slice(0, 7) : foreground);
  for (let i = 0; i < 12 && contrastRatio(c, background) < 4.5; i++) {
    c = mix(c, foreground, 0.2);
  }
  return c;
}

function channels(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1, 7), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(a: string, b: string, amount: number): string {
  const ca = channels(a);
  const cb = channels(b);
  return (
    '#' +
    ca
      .map((v, i) =>
        Math.round(v + (cb[i] - v) * amount)
          .toString(16)
          .padStart(2, '0')
      )
      .join('')
  );
}

function distance(a: string, b: string): number {
  const ca = channels(a);
  const cb = channels(b);
  return Math.hypot(ca[0] - cb[0], ca[1] - cb[1], ca[2] - cb[2]);
}

function relativeLuminance(hex: string): number {
  const [r, g, b] = channels(hex).map(v => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
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
  if (/^#[0-9a-f]{6}$/i.test(color)) {
    return color.toLowerCase();
  }
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

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A tiny line chart of the last samples of one figure (CPU %, memory %), with its value. */
export class Sparkline {
  constructor(options: Sparkline.IOptions) {
    this._samples = options.samples ?? 60;
    this._format = options.format;
    this.node = document.createElement('div');
    this.node.className =
      `jp-LittleWings-sparkline ${options.className ?? ''}`.trim();
    this.node.title = options.title;
    const label = document.createElement('span');
    label.className = 'jp-LittleWings-sparklineLabel';
    label.textContent = options.label;
    this._svg = document.createElementNS(SVG_NS, 'svg');
    this._svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    this._svg.setAttribute('preserveAspectRatio', 'none');
    this._svg.setAttribute('aria-hidden', 'true');
    this._area = document.createElementNS(SVG_NS, 'path');
    this._area.setAttribute('class', 'jp-LittleWings-sparklineArea');
    this._line = document.createElementNS(SVG_NS, 'path');
    this._line.setAttribute('class', 'jp-LittleWings-sparklineLine');
    this._svg.append(this._area, this._line);
    this._value = document.createElement('span');
    this._value.className = 'jp-LittleWings-sparklineValue';
    this._value.textContent = '–';
    this.node.append(label, this._svg, this._value);
  }

  readonly node: HTMLDivElement;

  /** Add a sample; `percent` (0–100) sets the height, `value` is the raw figure shown. */
  push(
    percent: number | null | undefined,
    value: number | null | undefined
  ): void {
    this._points.push(Math.max(0, Math.min(100, percent ?? 0)));
    if (this._points.length > this._samples) {
      this._points.shift();
    }
    this._value.textContent =
      value === null || value === undefined ? '–' : this._format(value);
    this._draw();
  }

  /** Forget the samples (the container stopped). */
  clear(): void {
    this._points = [];
    this._value.textContent = '–';
    this._draw();
  }

  private _draw(): void {
    if (this._points.length < 2) {
      this._line.setAttribute('d', '');
      this._area.setAttribute('d', '');
      return;
    }
    // Scale to the larger of 100% / 4 and the highest sample so small loads are still visible.
    const top = Math.max(25, ...this._points);
    const step = WIDTH / (this._samples - 1);
    const offset = WIDTH - step * (this._points.length - 1);
    const coords = this._points.map((p, i) => {
      const x = offset + i * step;
      const y = HEIGHT - 1 - (p / top) * (HEIGHT - 2);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    const line = `M${coords.join('L')}`;
    this._line.setAttribute('d', line);
    this._area.setAttribute(
      'd',
      `${line}L${WIDTH},${HEIGHT}L${offset.toFixed(1)},${HEIGHT}Z`
    );
  }

  private _samples: number;
  private _points: number[] = [];
  private _format: (value: number) => string;
  private _svg: SVGSVGElement;
  private _line: SVGPathElement;
  private _area: SVGPathElement;
  private _value: HTMLSpanElement;
}

const WIDTH = 60;
const HEIGHT = 18;

export namespace Sparkline {
  export interface IOptions {
    label: string;
    title: string;
    format: (value: number) => string;
    samples?: number;
    className?: string;
  }
}

/** Bytes for people: 1.5 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

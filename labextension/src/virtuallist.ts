/**
 * A virtualized list: only the rows in sight (and a few more) are in the DOM, so that the
 * Containers sidebar scrolls and filters 5,000 containers as smoothly as 50. It knows nothing of
 * containers: the sidebar gives it rows with keys, their heights, and how to draw them.
 */
/**
 * A list that keeps only the rows in view (plus `overscan` rows above and below, and a row
 * that has the keyboard focus) in the DOM. Rows have a fixed height per kind; their offsets are
 * a running sum, so a window of 5,000 rows is found by binary search.
 */
export class VirtualList<R extends { key: string }> {
  constructor(options: VirtualList.IOptions<R>) {
    this.node = options.node;
    this._heightOf = options.heightOf;
    this._render = options.render;
    this._same = options.same;
    this._overscan = options.overscan ?? 8;
    this._sizer = document.createElement('div');
    this._sizer.className = 'jp-LittleWings-listSizer';
    this._sizer.setAttribute('role', 'presentation');
    this.node.addEventListener('scroll', () => this.scheduleUpdate(), {
      passive: true
    });
    if (typeof ResizeObserver !== 'undefined') {
      this._resize = new ResizeObserver(() => this.scheduleUpdate());
      this._resize.observe(this.node);
    }
  }

  /** The scrolling element (it holds the sizer, which holds the rows). */
  readonly node: HTMLElement;

  /** Every row, shown or not. */
  get rows(): readonly R[] {
    return this._rows;
  }

  /** The row a key names, with its index; null if it is not in the list. */
  indexOf(key: string): number {
    if (!this._index) {
      this._index = new Map();
      for (let i = 0; i < this._rows.length; i++) {
        this._index.set(this._rows[i].key, i);
      }
    }
    return this._index.get(key) ?? -1;
  }

  /** The DOM node of a row, when it is in the DOM. */
  nodeOf(key: string): HTMLElement | undefined {
    return this._nodes.get(key)?.node;
  }

  /** The DOM nodes of the rows in the DOM. */
  get renderedNodes(): HTMLElement[] {
    return [...this._nodes.values()].map(entry => entry.node);
  }

  /** A row kept in the DOM even out of view (the one with the keyboard focus). */
  set pinned(key: string | null) {
    this._pinned = key;
  }

  /** Attach the list's sizer to the scrolling element (after something replaced its children). */
  mount(): void {
    if (this._sizer.parentNode !== this.node) {
      this.node.replaceChildren(this._sizer);
    }
  }

  /** Replace the rows; the rows in view are drawn at once. `rebuild` draws every row again. */
  setRows(rows: R[], rebuild = false): void {
    this._rows = rows;
    // The index of 5,000 keys is built when asked (the keyboard), not on every update.
    this._index = null;
    this._offsets = new Float64Array(rows.length + 1);
    let y = 0;
    for (let i = 0; i < rows.length; i++) {
      this._offsets[i] = y;
      y += this._heightOf(rows[i]);
    }
    this._offsets[rows.length] = y;
    this._sizer.style.height = `${y}px`;
    if (rebuild) {
      for (const entry of this._nodes.values()) {
        entry.node.remove();
      }
      this._nodes.clear();
    }
    this.mount();
    this.update();
  }

  /** Draw the rows in view on the next animation frame (scroll, resize). */
  scheduleUpdate(): void {
    if (!this._frame) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this.update();
      });
    }
  }

  /** Scroll so that a row is in view (the least scroll that does it), and draw. */
  scrollToIndex(index: number): void {
    if (index < 0 || index >= this._rows.length) {
      return;
    }
    const top = this._offsets[index];
    const bottom = this._offsets[index + 1];
    const view = this.node.clientHeight;
    const pad = this._padTop();
    if (top + pad < this.node.scrollTop) {
      this.node.scrollTop = top + pad;
    } else if (bottom + pad > this.node.scrollTop + view) {
      this.node.scrollTop = bottom + pad - view;
    }
    this.update();
  }

  /** Draw the rows in view now. */
  update(): void {
    const count = this._rows.length;
    const pad = this._padTop();
    const top = Math.max(0, this.node.scrollTop - pad);
    const height = this.node.clientHeight || 800;
    let first = this._find(top);
    let last = this._find(top + height);
    first = Math.max(0, first - this._overscan);
    last = Math.min(count - 1, last + this._overscan);
    const wanted = new Map<string, number>();
    for (let i = first; i <= last; i++) {
      wanted.set(this._rows[i].key, i);
    }
    const pinned = this._pinned === null ? -1 : this.indexOf(this._pinned);
    if (pinned >= 0) {
      wanted.set(this._rows[pinned].key, pinned);
    }
    // Rows gone or out of view leave; rows that changed are drawn again.
    for (const [key, entry] of this._nodes) {
      const i = wanted.get(key);
      if (i === undefined) {
        entry.node.remove();
        this._nodes.delete(key);
      } else if (!this._same(entry.row, this._rows[i])) {
        const node = this._render(this._rows[i]);
        const active = document.activeElement as HTMLElement | null;
        const focused = !!active && entry.node.contains(active);
        entry.node.replaceWith(node);
        if (focused) {
          Private.refocus(entry.node, node, active!);
        }
        entry.node = node;
        entry.row = this._rows[i];
      }
    }
    for (const i of wanted.values()) {
      const row = this._rows[i];
      let entry = this._nodes.get(row.key);
      if (!entry) {
        entry = { row, node: this._render(row) };
        this._nodes.set(row.key, entry);
        this._sizer.appendChild(entry.node);
      }
      entry.row = row;
      const style = entry.node.style;
      const y = `${this._offsets[i]}px`;
      if (style.top !== y) {
        style.top = y;
      }
    }
  }

  dispose(): void {
    if (this._frame) {
      cancelAnimationFrame(this._frame);
    }
    this._resize?.disconnect();
  }

  /** The list's top padding (rows start below it). */
  private _padTop(): number {
    if (this._pad === null) {
      this._pad = parseFloat(getComputedStyle(this.node).paddingTop) || 0;
    }
    return this._pad;
  }

  /** The index of the row at offset `y` (the last row for y past the end). */
  private _find(y: number): number {
    let lo = 0;
    let hi = this._rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this._offsets[mid] <= y) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return Math.max(0, lo);
  }

  private _rows: R[] = [];
  private _index: Map<string, number> | null = null;
  private _offsets = new Float64Array(1);
  private _nodes = new Map<string, { row: R; node: HTMLElement }>();
  private _sizer: HTMLDivElement;
  private _heightOf: (row: R) => number;
  private _render: (row: R) => HTMLElement;
  private _same: (a: R, b: R) => boolean;
  private _overscan: number;
  private _pinned: string | null = null;
  private _frame = 0;
  private _pad: number | null = null;
  private _resize: ResizeObserver | null = null;
}

export namespace VirtualList {
  export interface IOptions<R> {
    /** The scrolling element. */
    node: HTMLElement;
    heightOf: (row: R) => number;
    /** A new node for a row (absolutely placed by the list: it sets `top`). */
    render: (row: R) => HTMLElement;
    /** Whether a row drawn before may stay as it is for this one. */
    same: (a: R, b: R) => boolean;
    /** Rows drawn above and below the view. */
    overscan?: number;
  }
}

namespace Private {
  /** A redrawn row takes the focus its old node had (the same part of it, if it can). */
  export function refocus(
    before: HTMLElement,
    after: HTMLElement,
    active: HTMLElement
  ): void {
    if (active === before) {
      after.focus();
      return;
    }
    const cls = active.className.split(' ')[0];
    const same = cls ? after.querySelector<HTMLElement>(`.${cls}`) : null;
    (same ?? after).focus();
  }
}

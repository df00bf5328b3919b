import { FitAddon } from '@xterm/addon-fit';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';

import { IShellEnd, ShellChannel, ShellPhase } from './shell';
import { codeFont, xtermTheme } from './theme';

const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/**
 * A terminal (xterm.js) on one shell: keys and pastes go to the container, its output is drawn
 * and acknowledged (flow control), and the terminal's size follows its node.
 */
export class ShellView {
  constructor(readonly channel: ShellChannel) {
    this.node = document.createElement('div');
    this.node.className = 'jp-LittleWings-shellView';
    // Keys belong to the shell, not to JupyterLab's shortcuts (Ctrl-C, Ctrl-D, Escape…).
    this.node.dataset.lmSuppressShortcuts = 'true';
    this._host = document.createElement('div');
    this._host.className = 'jp-LittleWings-shellTerminal';
    this._banner = document.createElement('div');
    this._banner.className = 'jp-LittleWings-shellBanner';
    this._banner.hidden = true;
    this._banner.setAttribute('role', 'status');
    this.node.append(this._banner, this._host);

    this._terminal = new Terminal({
      allowProposedApi: true,
      cursorBlink: true,
      scrollback: 5000,
      smoothScrollDuration: 0,
      macOptionIsMeta: true
    });
    this._fit = new FitAddon();
    this._terminal.loadAddon(this._fit);
    this._terminal.loadAddon(new WebLinksAddon());
    this._terminal.onData(data => channel.write(data));
    this._terminal.onBinary(data => channel.write(data));
    channel.output.connect(this._onOutput, this);
    channel.phaseChanged.connect(this._onPhase, this);
    this._onPhase(channel, channel.phase);
  }

  /** The element the view lives in; attach it to the page before `open()`. */
  readonly node: HTMLDivElement;

  get terminal(): Terminal {
    return this._terminal;
  }

  /** Create the terminal's DOM: the node must be in the document. */
  open(): void {
    if (this._opened) {
      return;
    }
    this._opened = true;
    this._terminal.open(this._host);
    this.updateTheme();
  }

  /** Re-read fonts and colours from the page (after a theme change). */
  updateTheme(): void {
    const font = codeFont(this.node);
    const theme = xtermTheme(this.node);
    this._terminal.options.fontFamily = font.family;
    this._terminal.options.fontSize = this._fontSize ?? font.size;
    this._terminal.options.theme = {
      ...theme,
      cursor: theme.foreground,
      cursorAccent: theme.background
    };
    this.fit();
  }

  set fontSize(value: number | null) {
    this._fontSize = value;
    this.updateTheme();
  }

  /** Fit the terminal to its node and tell the shell its new size. */
  fit(): void {
    if (
      !this._opened ||
      !this._host.isConnected ||
      this._host.clientWidth === 0 ||
      this._host.clientHeight === 0
    ) {
      return;
    }
    try {
      this._fit.fit();
    } catch {
      return; // the renderer is not ready yet; the next resize fits
    }
    this.channel.resize(this._terminal.rows, this._terminal.cols);
  }

  /** The size the terminal would have in its node now (before the shell is opened). */
  proposedSize(): { rows: number; cols: number } {
    const size = this._opened ? this._fit.proposeDimensions() : undefined;
    return size && size.rows > 0 && size.cols > 0
      ? { rows: size.rows, cols: size.cols }
      : { rows: 24, cols: 80 };
  }

  focus(): void {
    this._terminal.focus();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.channel.output.disconnect(this._onOutput, this);
    this.channel.phaseChanged.disconnect(this._onPhase, this);
    this._terminal.dispose();
    this.node.remove();
  }

  private _onOutput(sender: ShellChannel, data: string): void {
    // Acknowledge once drawn: the server sends at most a window ahead of what is shown.
    this._terminal.write(data, () => sender.acknowledge(data.length));
  }

  private _onPhase(sender: ShellChannel, phase: ShellPhase): void {
    this.node.dataset.phase = phase;
    this._terminal.options.disableStdin = phase !== 'open';
    switch (phase) {
      case 'opening':
        this._showBanner('Opening a shell…', 'info');
        break;
      case 'open':
        this._showBanner(null);
        break;
      case 'reattaching':
        this._showBanner(
          'Connection lost: the shell goes on in the container and is taken back on reconnect…',
          'warn'
        );
        break;
      case 'ended':
      case 'refused':
        this._showEnd(sender.end);
        break;
    }
  }

  private _showEnd(end: IShellEnd | null): void {
    this._terminal.options.cursorBlink = false;
    const text = ShellView.endText(end);
    if (end?.reason === 'refused') {
      this._showBanner(text, 'error');
      return;
    }
    this._showBanner(text, end?.reason === 'lost' ? 'error' : 'info');
    this._terminal.write(`\r\n${DIM}── ${text} ──${RESET}\r\n`);
  }

  private _showBanner(
    text: string | null,
    kind?: 'info' | 'warn' | 'error'
  ): void {
    this._banner.hidden = text === null;
    this._banner.textContent = text ?? '';
    this._banner.dataset.kind = kind ?? '';
  }

  private _terminal: Terminal;
  private _fit: FitAddon;
  private _host: HTMLDivElement;
  private _banner: HTMLDivElement;
  private _opened = false;
  private _disposed = false;
  private _fontSize: number | null = null;
}

export namespace ShellView {
  /** How a shell ended, in words. */
  export function endText(end: IShellEnd | null): string {
    if (!end) {
      return 'Shell ended';
    }
    switch (end.reason) {
      case 'exited':
        return `Shell exited${end.exitCode === null || end.exitCode === undefined ? '' : ` with code ${end.exitCode}`}`;
      case 'closed':
        return 'Shell closed';
      case 'refused':
        return end.message ?? 'The server refused to open a shell.';
      default:
        return `Shell ended: ${end.message ?? 'the connection was lost'}`;
    }
  }
}

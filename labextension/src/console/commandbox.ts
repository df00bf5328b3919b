/**
 * The command box under a container's logs: a line sent to the container's main process (stdin)
 * or run in the container (exec), this browser's history of them (↑↓), the exec commands running
 * with Stop (and Ctrl-C), and what the server answers written into the log view: the echo, the
 * output (stderr in red) and the exit line.
 */
import { CommandEvent, ConsoleConnection } from './connection';
import { LogView } from './logview';
import { CommandVia } from './protocol';
import { iconButton } from './toolbar';

const HISTORY_LIMIT = 200;
const PROMPT = '\x1b[1;34m❯\x1b[0m';

/** The command box of a container's console (a form: the prompt, the line, via, Send, Stop). */
export class CommandBox {
  constructor(options: CommandBox.IOptions) {
    this._connection = options.connection;
    this._logView = options.logView;
    this._write = options.write;
    this._missing = options.missing;
    this._historyKey = options.historyKey;
    this._history = Private.loadHistory(this._historyKey);
    this._historyIndex = this._history.length;

    this.node = document.createElement('form');
    this.node.className = 'jp-LittleWings-commandBar';
    this.node.addEventListener('submit', event => {
      event.preventDefault();
      this._submit();
    });
    const prompt = document.createElement('span');
    prompt.className = 'jp-LittleWings-prompt';
    prompt.textContent = '❯';
    prompt.setAttribute('aria-hidden', 'true');

    this._input = document.createElement('input');
    this._input.type = 'text';
    this._input.className = 'jp-LittleWings-commandInput';
    this._input.autocomplete = 'off';
    this._input.spellcheck = false;
    this._input.setAttribute('aria-label', 'Command');
    this._input.addEventListener('keydown', event => this._onKey(event));

    this._viaSelect = document.createElement('select');
    this._viaSelect.className = 'jp-LittleWings-via';
    this._viaSelect.setAttribute('aria-label', 'Send the command to');
    for (const [value, label] of [
      ['stdin', 'stdin'],
      ['exec', 'exec']
    ]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      this._viaSelect.appendChild(option);
    }
    this._viaSelect.addEventListener('change', () => {
      this._viaChosen = true;
      this.render();
    });

    this._sendButton = iconButton('send', 'Run (Enter)');
    this._sendButton.type = 'submit';
    this._sendButton.classList.add('jp-LittleWings-send');

    // While exec commands run: how many, and Stop (the newest; Ctrl-C in the box too).
    this._runningNode = document.createElement('span');
    this._runningNode.className = 'jp-LittleWings-running';
    this._runningNode.setAttribute('role', 'status');
    this._stopButton = iconButton('stop', 'Stop the command (Ctrl-C)');
    this._stopButton.type = 'button';
    this._stopButton.classList.add('jp-LittleWings-stopCommand');
    this._stopButton.addEventListener('click', () => this._stopNewest());

    this.node.append(
      prompt,
      this._input,
      this._runningNode,
      this._stopButton,
      this._viaSelect,
      this._sendButton
    );
    this._connection.commandEvent.connect(this._onCommandEvent, this);
    this.render();
    this._renderRunning();
  }

  /** The form: goes under the log area. */
  readonly node: HTMLFormElement;

  /** Whether the box takes no command (read-only, or no such container). */
  get disabled(): boolean {
    return this._input.disabled;
  }

  /** Put the focus in the box. */
  focus(): void {
    this._input.focus();
  }

  /** The connection is open: until the user picks, stdin when the container takes it. */
  connected(): void {
    if (!this._viaChosen) {
      this._viaSelect.value = this._connection.commandVia ?? 'exec';
    }
  }

  /** Enable what the permissions, the connection and the container allow, and say why not. */
  render(): void {
    const canWrite = this._connection.permissions?.write !== false;
    const live = this._connection.isConnected;
    const missing = this._missing();
    const stdinOpen = this._connection.commandVia === 'stdin';
    const stdinOption = this._viaSelect.options[0];
    stdinOption.disabled = !stdinOpen;
    if (!stdinOpen && this._viaSelect.value === 'stdin' && live) {
      this._viaSelect.value = 'exec';
    }
    const via = this._viaSelect.value;
    const name = this._connection.container?.name || this._connection.serverId;
    this._input.disabled = !canWrite || missing;
    this._sendButton.disabled = !canWrite || !live || missing;
    this._viaSelect.disabled = !canWrite || missing;
    this._input.placeholder = missing
      ? `There is no container ${name} (any more): nothing to send commands to`
      : !canWrite
        ? 'Read-only: you may watch but not send commands'
        : via === 'stdin'
          ? `Send a line to ${name}'s console (stdin) · ↑↓ history`
          : `Run a command in ${name} (exec) · ↑↓ history`;
    this._viaSelect.title =
      via === 'stdin'
        ? "stdin: the line goes to the container's main process; its answer shows in the logs"
        : 'exec: the command runs in the container with /bin/sh -c; its output and exit code show here';
  }

  private _onCommandEvent(
    sender: ConsoleConnection,
    event: CommandEvent
  ): void {
    const id = String(event.id ?? '');
    switch (event.type) {
      case 'command_started': {
        const text = event.command ?? this._sent.get(id) ?? '';
        this._write(
          `${PROMPT} \x1b[1m${text}\x1b[22m  \x1b[2m${event.via}\x1b[22m\r\n`
        );
        this._started.add(id);
        if (event.via === 'exec') {
          this._running.set(id, text);
          this._renderRunning();
        }
        break;
      }
      case 'command_output': {
        // Output arrives in arbitrary pieces: write whole lines only, so log lines arriving at
        // the same time do not cut through a line of the command's output.
        const key = `${id}:${event.stream}`;
        const buffered = (this._partial.get(key) ?? '') + event.data;
        const cut = buffered.lastIndexOf('\n');
        if (cut < 0) {
          this._partial.set(key, buffered);
        } else {
          this._partial.set(key, buffered.slice(cut + 1));
          this._write(
            Private.streamText(buffered.slice(0, cut + 1), event.stream)
          );
        }
        break;
      }
      case 'command_exit': {
        for (const stream of ['stdout', 'stderr'] as const) {
          const rest = this._partial.get(`${id}:${stream}`);
          if (rest) {
            this._write(Private.streamText(rest + '\n', stream));
          }
          this._partial.delete(`${id}:${stream}`);
        }
        const code = event.exit_code;
        const colour = code === 0 ? '\x1b[32m' : '\x1b[31m';
        const duration =
          event.duration_ms !== undefined
            ? ` · ${Private.ms(event.duration_ms)}`
            : '';
        // The exit line names its command: other output (logs, other commands) may stand
        // between them, or a Clear.
        const what = Private.shortCommand(
          this._running.get(id) ?? this._sent.get(id) ?? ''
        );
        const stopped = event.stopped ? ' \x1b[33m(stopped)\x1b[39m' : '';
        this._write(
          `\x1b[2m└ ${colour}exit ${code ?? '?'}\x1b[39m${stopped}${duration}${what ? ` · ${what}` : ''}\x1b[0m\r\n`
        );
        this._started.delete(id);
        this._sent.delete(id);
        this._running.delete(id);
        this._renderRunning();
        break;
      }
      case 'command_sent':
        this._started.delete(id);
        this._sent.delete(id);
        break;
      case 'error': {
        if (!this._started.has(id)) {
          const text = this._sent.get(id) ?? '';
          this._write(`${PROMPT} \x1b[1m${text}\x1b[22m\r\n`);
        }
        const retry = event.retry_after
          ? ` (retry in ${event.retry_after} s)`
          : '';
        this._write(`\x1b[31m└ ${event.message}${retry}\x1b[0m\r\n`);
        this._started.delete(id);
        this._sent.delete(id);
        this._running.delete(id);
        this._renderRunning();
        break;
      }
    }
    if (!this._logView.following) {
      this._logView.scrollToBottom();
    }
  }

  private _onKey(event: KeyboardEvent): void {
    const input = this._input;
    if (
      event.key === 'c' &&
      event.ctrlKey &&
      !event.metaKey &&
      !event.altKey &&
      input.selectionStart === input.selectionEnd &&
      this._running.size
    ) {
      // Ctrl-C with nothing selected (a selection is copied): stop the newest command.
      event.preventDefault();
      event.stopPropagation();
      this._stopNewest();
      return;
    }
    if (event.key === 'Enter' && !event.isComposing) {
      // Submit here rather than by the form's implicit submission: a host page (a notebook
      // whose output holds this console) may handle Enter on the way up and cancel it.
      event.preventDefault();
      event.stopPropagation();
      this._submit();
      return;
    }
    if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      if (!this._history.length) {
        return;
      }
      event.preventDefault();
      if (this._historyIndex === this._history.length) {
        this._draft = input.value;
      }
      const step = event.key === 'ArrowUp' ? -1 : 1;
      this._historyIndex = Math.max(
        0,
        Math.min(this._history.length, this._historyIndex + step)
      );
      input.value =
        this._historyIndex === this._history.length
          ? this._draft
          : this._history[this._historyIndex];
      const end = input.value.length;
      input.setSelectionRange(end, end);
    } else if (event.key === 'Escape') {
      input.value = '';
      this._historyIndex = this._history.length;
    }
  }

  private _submit(): void {
    const text = this._input.value;
    if (!text.trim() || this._input.disabled) {
      return;
    }
    if (this._history[this._history.length - 1] !== text) {
      this._history.push(text);
      if (this._history.length > HISTORY_LIMIT) {
        this._history.splice(0, this._history.length - HISTORY_LIMIT);
      }
      Private.saveHistory(this._historyKey, this._history);
    }
    this._historyIndex = this._history.length;
    this._draft = '';
    this._input.value = '';
    const via = this._viaSelect.value as CommandVia;
    const id = this._connection.runCommand(text, via);
    this._sent.set(id, text);
    this._logView.scrollToBottom();
  }

  /** Stop the newest running exec command. */
  private _stopNewest(): void {
    const ids = [...this._running.keys()];
    const id = ids[ids.length - 1];
    if (id !== undefined) {
      this._connection.stopCommand(id);
    }
  }

  /** The running mark and Stop, shown while exec commands run. */
  private _renderRunning(): void {
    const count = this._running.size;
    const texts = [...this._running.values()];
    this._runningNode.hidden = this._stopButton.hidden = count === 0;
    this._runningNode.textContent =
      count === 1 ? 'running' : count ? `${count} running` : '';
    this._runningNode.title = texts.join('\n');
    const newest = texts[texts.length - 1] ?? '';
    this._stopButton.title = `Stop ${Private.shortCommand(newest)} (Ctrl-C)`;
    this._stopButton.setAttribute('aria-label', this._stopButton.title);
  }

  private _connection: ConsoleConnection;
  private _logView: LogView;
  private _write: (text: string) => void;
  private _missing: () => boolean;
  private _historyKey: string;
  private _history: string[];
  private _historyIndex = 0;
  private _draft = '';
  private _viaChosen = false;
  private _sent = new Map<string, string>();
  private _started = new Set<string>();
  private _partial = new Map<string, string>();
  /** Exec commands running now: request id → text, oldest first. */
  private _running = new Map<string, string>();
  private _input: HTMLInputElement;
  private _viaSelect: HTMLSelectElement;
  private _sendButton: HTMLButtonElement;
  private _runningNode: HTMLSpanElement;
  private _stopButton: HTMLButtonElement;
}

export namespace CommandBox {
  export interface IOptions {
    /** The container's connection: commands go out on it, their events come back on it. */
    connection: ConsoleConnection;
    /** The log view the answers go to (it is scrolled to them). */
    logView: LogView;
    /** Write text of the console's own into the log view (kept in its buffer). */
    write: (text: string) => void;
    /** Whether the server said there is no such container (any more). */
    missing: () => boolean;
    /** Where this browser keeps the history of commands (localStorage). */
    historyKey: string;
  }
}

namespace Private {
  /** A command's output, stderr in red. */
  export function streamText(
    data: string,
    stream: 'stdout' | 'stderr'
  ): string {
    return stream === 'stderr'
      ? data.replace(/^(.+)$/gm, '\x1b[31m$1\x1b[0m')
      : data;
  }

  /** A command as an exit line names it: its first line, cut at 40 characters. */
  export function shortCommand(text: string): string {
    const line = text.split('\n')[0];
    return line.length > 40 ? `${line.slice(0, 39)}…` : line;
  }

  export function ms(value: number): string {
    return value < 1000
      ? `${Math.round(value)} ms`
      : `${(value / 1000).toFixed(1)} s`;
  }

  export function loadHistory(key: string): string[] {
    try {
      const value = JSON.parse(window.localStorage.getItem(key) ?? '[]');
      return Array.isArray(value)
        ? value.filter(v => typeof v === 'string')
        : [];
    } catch {
      return [];
    }
  }

  export function saveHistory(key: string, history: string[]): void {
    try {
      window.localStorage.setItem(key, JSON.stringify(history));
    } catch {
      // Private browsing or a full storage: history then lasts as long as the tab.
    }
  }
}

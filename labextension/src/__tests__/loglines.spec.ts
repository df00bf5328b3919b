/**
 * How log lines are drawn: coloured by the level read from the line, not by the stream; a stderr
 * line keeps a tint; tracebacks stay with the record they belong to.
 */
import {
  FOLD_SCHEME,
  ILineFormatOptions,
  ILogLine,
  LineFormatter,
  recordAt
} from '../console/loglines';

const RED = '\x1b[31m';
const TINT = '#fbeaea';
const TINT_SGR = '\x1b[48;2;251;234;234m';

function formatter(options: Partial<ILineFormatOptions> = {}): LineFormatter {
  return new LineFormatter({
    raw: false,
    minLevel: null,
    timestamps: false,
    stderrTint: TINT,
    ...options
  });
}

function line(text: string, stream: 'stdout' | 'stderr' = 'stderr'): ILogLine {
  return { container: '', stream, text };
}

/** The text a terminal shows for rendered output (escape sequences and links taken out). */
function shown(rendered: string | null): string {
  return (rendered ?? '')
    .replace(/\x1b\]8;;[^\x07]*\x07/g, '') // eslint-disable-line no-control-regex
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') // eslint-disable-line no-control-regex
    .replace(/\r\n$/, '');
}

/** The text of a rendered line drawn in red (the SGR 31 stretches), joined. */
function redParts(rendered: string): string {
  let red = false;
  let out = '';
  // eslint-disable-next-line no-control-regex
  for (const piece of rendered.split(/(\x1b\[[0-9;]*m)/)) {
    if (piece.startsWith('\x1b[')) {
      const codes = piece.slice(2, -1).split(';');
      if (codes.includes('31')) {
        red = true;
      } else if (
        codes.includes('39') ||
        codes.includes('0') ||
        piece === '\x1b[m'
      ) {
        red = false;
      }
    } else if (red) {
      out += piece;
    }
  }
  return out;
}

describe('level colours', () => {
  it('does not draw a stderr line with a LOG level red, but tints it', () => {
    const text =
      '2026-12-07 10:28:18.120 UTC [1] LOG:  database system is ready to accept connections';
    const out = formatter().render(line(text))!;
    expect(shown(out)).toBe(text);
    expect(redParts(out)).toBe('');
    expect(out.startsWith(TINT_SGR)).toBe(true);
    // The tint stretches to the row's end and is reset before the line ends.
    expect(out.endsWith('\x1b[K\x1b[0m\r\n')).toBe(true);
  });

  it("draws an ERROR's text red, with its level word in the error style", () => {
    const text =
      '2026-12-07 10:29:01.002 UTC [77] ERROR:  relation "nope" does not exist';
    const out = formatter().render(line(text))!;
    expect(shown(out)).toBe(text);
    expect(redParts(out)).toContain('relation "nope" does not exist');
    expect(out).toContain('\x1b[1;31mERROR');
  });

  it('draws nginx notices plainly and its [error] lines red', () => {
    const f = formatter();
    const notice = f.render(
      line('2026/12/07 10:28:19 [notice] 1#1: start worker processes')
    )!;
    expect(redParts(notice)).toBe('');
    const error = f.render(
      line(
        '2026/12/07 10:30:00 [error] 29#29: *1 open() "/usr/share/nginx/html/x" failed (2: No such file or directory)'
      )
    )!;
    expect(redParts(error)).toContain('failed (2: No such file or directory)');
  });

  it('keeps red for a stderr line with no level, and none for stdout', () => {
    const f = formatter();
    expect(redParts(f.render(line('syntax is ok?'))!)).toBe('syntax is ok?');
    const out = f.render(line('plain output', 'stdout'))!;
    expect(out).toBe('plain output\r\n');
  });

  it('draws a JSON error on stderr with a red message and a tint', () => {
    const out = formatter().render(
      line('{"level":"error","msg":"payment failed","order":17}')
    )!;
    expect(shown(out)).toBe('ERROR payment failed order=17');
    expect(redParts(out)).toContain('payment failed');
    expect(out.startsWith(TINT_SGR)).toBe(true);
  });

  it('puts the tint back after a program resets its own colours', () => {
    const out = formatter().render(line('\x1b[32mINFO\x1b[0m ready'))!;
    expect(out).toContain(`\x1b[0m${TINT_SGR}`);
  });

  it('draws raw lines as they came: red for stderr, no tint', () => {
    const out = formatter({ raw: true }).render(
      line('LOG:  checkpoint starting')
    )!;
    expect(out).toBe(`${RED}LOG:  checkpoint starting\x1b[0m\r\n`);
  });

  it('draws no tint when the view has none', () => {
    const out = formatter({ stderrTint: null }).render(
      line('LOG:  checkpoint starting')
    )!;
    expect(out).not.toContain('\x1b[48;');
  });
});

describe('tracebacks stay with their record', () => {
  const python = [
    'ERROR:app:request failed',
    'Traceback (most recent call last):',
    '  File "/app/main.py", line 12, in handle',
    '    total = price / count',
    'ZeroDivisionError: division by zero',
    'INFO:app:next request'
  ];

  it("draws a Python traceback's lines in its head's colour, its exception line too", () => {
    const f = formatter();
    const out = python.map(text => f.render(line(text))!);
    for (const rendered of out.slice(1, 5)) {
      expect(redParts(rendered)).not.toBe('');
    }
    expect(redParts(out[5])).toBe('');
  });

  it('keeps a traceback with its head under a level filter', () => {
    const f = formatter({ minLevel: 'error' });
    const kept = python.map(text => f.render(line(text))).filter(Boolean);
    expect(kept.map(shown)).toEqual([
      python[0],
      `${python[1]} ▾ fold`,
      ...python.slice(2, 5)
    ]);
  });

  it('folds a text traceback to one row under its head, and unfolds it', () => {
    const f = formatter({ stderrTint: null });
    const lines = python.map(text => line(text, 'stdout'));
    const first = lines.map(l => f.render(l));
    // eslint-disable-next-line no-control-regex
    const uri = /\x1b\]8;;([^\x07]+)\x07/.exec(first[1]!)![1];
    expect(lines[0].record).toBeDefined();
    expect(uri).toBe(`${FOLD_SCHEME}${lines[0].record}`);
    expect(lines[0].continuations).toBe(4);
    expect(recordAt(lines, uri)).toBe(0);
    // Folded: drawn again from the first line, the traceback is one row with its count.
    expect(f.toggle(uri)).toBe(true);
    f.reset();
    const folded = lines.map(l => f.render(l)).filter(Boolean);
    expect(folded.map(shown)).toEqual([
      python[0],
      '  ▸ 4 more lines',
      python[5]
    ]);
    expect(f.toggle(uri)).toBe(true);
    f.reset();
    expect(lines.map(l => f.render(l)).filter(Boolean)).toHaveLength(6);
    // Counted once, however often it is drawn.
    expect(lines[0].continuations).toBe(4);
  });

  it('does not tie an exception-like line that follows no traceback', () => {
    const f = formatter({ minLevel: 'error' });
    expect(f.render(line('ERROR: boom'))).not.toBeNull();
    expect(f.render(line('plain text in between'))).toBeNull();
    expect(f.render(line('ValueError: not a continuation'))).toBeNull();
  });

  it('ties Java frames and their causes to the line that started them', () => {
    const f = formatter({ minLevel: 'warn' });
    const java = [
      '10:00:01.5 WARN  [main] c.e.Shop - retrying',
      'java.lang.IllegalStateException: stock is negative',
      '\tat com.example.Shop.take(Shop.java:42)',
      'Caused by: java.io.IOException: disk',
      '\t... 3 more'
    ];
    const kept = java
      .map(text => f.render(line(text, 'stdout')))
      .filter(Boolean);
    expect(kept.map(shown)).toEqual([
      java[0],
      `${java[1]} ▾ fold`,
      ...java.slice(2)
    ]);
  });
});

describe('multi-line fields of a record', () => {
  const record = JSON.stringify({
    level: 'error',
    msg: 'request failed',
    path: '/pay',
    exc: 'Traceback (most recent call last):\n  File "/app/pay.py", line 3, in pay\n    1/0\nZeroDivisionError: division by zero\n'
  });

  it('draws a traceback field under its record, one row per line', () => {
    const f = formatter({ stderrTint: null });
    const l = line(record, 'stdout');
    const rows = shown(f.render(l)).split('\r\n');
    expect(rows).toEqual([
      'ERROR request failed path=/pay ▾ exc',
      '  exc:',
      '    Traceback (most recent call last):',
      '      File "/app/pay.py", line 3, in pay',
      '        1/0',
      '    ZeroDivisionError: division by zero'
    ]);
    expect(l.record).toBeGreaterThan(0);
  });

  it('folds and unfolds the record its mark links to', () => {
    const f = formatter({ stderrTint: null });
    const l = line(record, 'stdout');
    const first = f.render(l)!;
    const uri = /\x1b\]8;;([^\x07]+)\x07/.exec(first)![1]; // eslint-disable-line no-control-regex
    expect(uri).toBe(`${FOLD_SCHEME}${l.record}`);
    expect(recordAt([line('x'), l], uri)).toBe(1);
    expect(f.toggle(uri)).toBe(true);
    expect(shown(f.render(l))).toBe(
      'ERROR request failed path=/pay ▸ exc: 4 more lines'
    );
    expect(f.toggle(uri)).toBe(true);
    expect(shown(f.render(l)).split('\r\n')).toHaveLength(6);
  });

  it('refuses links it did not make', () => {
    const f = formatter();
    expect(f.toggle('https://example.org')).toBe(false);
    expect(f.toggle(`${FOLD_SCHEME}999`)).toBe(false);
    expect(f.toggle(`${FOLD_SCHEME}abc`)).toBe(false);
  });

  it('finds a stack one level down (error.stack) and keeps the other keys', () => {
    const f = formatter({ stderrTint: null });
    const text = JSON.stringify({
      level: 50,
      msg: 'boom',
      error: {
        type: 'TypeError',
        stack: 'TypeError: x is undefined\n    at run (/app/a.js:1:5)'
      }
    });
    const rows = shown(f.render(line(text, 'stdout'))).split('\r\n');
    expect(rows[0]).toBe('ERROR boom error={"type":"TypeError"} ▾ error.stack');
    expect(rows.slice(1)).toEqual([
      '  error.stack:',
      '    TypeError: x is undefined',
      '        at run (/app/a.js:1:5)'
    ]);
  });

  it('draws a multi-line message as its first line with the rest under it', () => {
    const f = formatter({ stderrTint: null });
    const text = JSON.stringify({ level: 'info', msg: 'config:\na=1\nb=2' });
    expect(shown(f.render(line(text, 'stdout'))).split('\r\n')).toEqual([
      'INFO  config: ▾ message',
      '  message:',
      '    a=1',
      '    b=2'
    ]);
  });

  it('keeps the name of the container on each row in a merged view', () => {
    const f = formatter({ stderrTint: null, prefix: name => `${name} | ` });
    const l: ILogLine = { container: 'api-1', stream: 'stdout', text: record };
    const rows = shown(f.render(l)).split('\r\n');
    expect(rows.every(row => row.startsWith('api-1 | '))).toBe(true);
  });
});

describe('markers', () => {
  it('draws a marker dimmed as it is, whatever the level filter', () => {
    const f = formatter({ minLevel: 'error', prefix: name => `${name} | ` });
    const out = f.render({
      container: 'db-1',
      stream: 'stdout',
      text: '┄┄ db-1: its history begins here ┄┄',
      marker: true
    });
    expect(out).toBe('\x1b[2m┄┄ db-1: its history begins here ┄┄\x1b[0m\r\n');
  });
});

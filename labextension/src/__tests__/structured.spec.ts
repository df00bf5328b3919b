/**
 * The consoles' structured-line parser on the cases it shares with the server's
 * (tests/data/structured_lines.json, read by tests/test_structured.py too): both must make the
 * same format, level, time, message and fields of every line.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

import {
  LEVELS,
  normalizeLevel,
  parseLine,
  parseLogfmt
} from '../console/structured';

interface ISharedCase {
  line: string;
  format: 'json' | 'logfmt' | 'text';
  level: string | null;
  time?: string | number | null;
  message?: string;
  fields?: Record<string, unknown>;
  id?: string;
  source?: string;
  note?: string;
}

const SHARED_FILE = join(
  __dirname,
  '..',
  '..',
  '..',
  'tests',
  'data',
  'structured_lines.json'
);
const CASES: ISharedCase[] = JSON.parse(
  readFileSync(SHARED_FILE, 'utf-8')
).lines;

/** What parseLine must make of a case (a text line's defaults where the case gives none). */
function expected(c: ISharedCase) {
  const text = c.line.endsWith('\n') ? c.line.replace(/[\r\n]+$/, '') : c.line;
  return {
    format: c.format,
    level: c.level,
    time: c.time === undefined ? null : c.time,
    message: c.message === undefined ? text : c.message,
    fields: c.fields ?? {}
  };
}

const named = CASES.map(
  c => [c.id ?? JSON.stringify(c.line).slice(0, 70), c] as const
);

describe('the shared structured lines', () => {
  it('are there, every format and every level among them', () => {
    expect(CASES.length).toBeGreaterThan(100);
    expect(new Set(CASES.map(c => c.format))).toEqual(
      new Set(['json', 'logfmt', 'text'])
    );
    expect(new Set(CASES.map(c => c.level))).toEqual(
      new Set([...LEVELS, null])
    );
  });

  it.each(named)('%s', (_name, c) => {
    const parsed = parseLine(c.line);
    expect({
      format: parsed.format,
      level: parsed.level,
      time: parsed.time,
      message: parsed.message,
      fields: parsed.fields
    }).toStrictEqual(expected(c));
  });

  it.each(named)('%s: logfmt pairs only in a logfmt line', (_name, c) => {
    expect(parseLogfmt(c.line) !== null).toBe(c.format === 'logfmt');
  });
});

describe('where the level word of a text line is', () => {
  const REDIS_MARKS = '.-*#';

  it.each(
    named.filter(
      ([, c]) => c.format === 'text' && c.level && !c.line.includes('\x1b')
    )
  )('%s', (_name, c) => {
    const parsed = parseLine(c.line);
    expect(parsed.levelAt).toBeGreaterThanOrEqual(0);
    expect(parsed.levelEnd).toBeGreaterThan(parsed.levelAt);
    const word = c.line.slice(parsed.levelAt, parsed.levelEnd);
    // The span holds the level's word (maybe in brackets, or as level=…), or Redis's mark.
    const levels = (word.match(/[A-Za-z]+/g) ?? []).map(w => normalizeLevel(w));
    if (REDIS_MARKS.includes(word)) {
      expect(word.length).toBe(1);
    } else {
      expect(levels).toContain(c.level);
    }
  });

  it('is the exact word, bracket or mark loggers print', () => {
    const span = (line: string) => {
      const p = parseLine(line);
      return line.slice(p.levelAt, p.levelEnd);
    };
    expect(span('2024/01/02 03:04:05 [error] 29#29: *1 open() failed')).toBe(
      '[error]'
    );
    expect(span('npm ERR! code ELIFECYCLE')).toBe('ERR');
    expect(span('Error: connect ECONNREFUSED 127.0.0.1:5432')).toBe('Error');
    expect(span('E1203 12:34:56.789012    1 main.go:12] boom')).toBe('E');
    expect(span('1:M 02 Jan 2024 03:04:05.678 # Warning: no config')).toBe('#');
    expect(span('2024-01-02 03:04:05 host=a level=error msg=x')).toBe(
      'level=error'
    );
    expect(span('ERROR:root:boom\r\n')).toBe('ERROR');
  });

  it('is not told for a line with colour codes, nor for a line without a level', () => {
    const coloured = parseLine(
      '\x1b[90m3:04AM\x1b[0m \x1b[31mERR\x1b[0m failed'
    );
    expect(coloured.level).toBe('error');
    expect([coloured.levelAt, coloured.levelEnd]).toEqual([-1, -1]);
    const plain = parseLine('no errors found');
    expect([plain.level, plain.levelAt, plain.levelEnd]).toEqual([
      null,
      -1,
      -1
    ]);
    const json = parseLine('{"level":"error","msg":"x"}');
    expect([json.level, json.levelAt, json.levelEnd]).toEqual([
      'error',
      -1,
      -1
    ]);
  });
});

/**
 * A row's status text: an exit by the OOM killer says so.
 */
import { statusText } from '../console/format';
import { IContainerSummary } from '../console/protocol';

const NOW = Date.parse('2026-12-07T10:00:00Z');

function exited(extra: Partial<IContainerSummary>): IContainerSummary {
  return {
    id: 'a',
    name: 'web-1',
    state: 'exited',
    exit_code: 137,
    finished_at: '2026-12-07T09:59:50Z',
    ...extra
  } as IContainerSummary;
}

describe('statusText', () => {
  it('says an OOM kill', () => {
    expect(statusText(exited({ oom_killed: true }), NOW)).toMatch(
      /^Exited \(137, OOM-killed\) .+ ago$/
    );
  });

  it('says a plain exit as Docker does', () => {
    const text = statusText(exited({}), NOW);
    expect(text).toMatch(/^Exited \(137\) .+ ago$/);
    expect(text).not.toContain('OOM');
  });
});

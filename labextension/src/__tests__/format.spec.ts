/**
 * A row's status text: an exit by the OOM killer says so.
 */
import { lossText, portText, portUrl, statusText } from '../console/format';
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

describe('portUrl', () => {
  const page = { protocol: 'http:', hostname: 'lab.example.org' };
  const tcp = (host_ip: string) => ({
    container_port: 80,
    host_port: 8080,
    protocol: 'tcp',
    host_ip
  });

  it('opens a port through jupyter-server-proxy when the server has it', () => {
    expect(portUrl(tcp('0.0.0.0'), '/user/ana/proxy/', page)).toBe(
      '/user/ana/proxy/8080/'
    );
  });

  it("opens a port on all addresses on the page's host", () => {
    expect(portUrl(tcp('0.0.0.0'), null, page)).toBe(
      'http://lab.example.org:8080/'
    );
    expect(portUrl(tcp('::'), null, { ...page, protocol: 'https:' })).toBe(
      'https://lab.example.org:8080/'
    );
  });

  it('opens a port bound to one address on that address', () => {
    expect(portUrl(tcp('127.0.0.1'), null, page)).toBe(
      'http://127.0.0.1:8080/'
    );
    expect(portUrl(tcp('fd00::1'), null, page)).toBe('http://[fd00::1]:8080/');
  });

  it('has no link for a UDP port, and says it as docker ps does', () => {
    const udp = { ...tcp('0.0.0.0'), protocol: 'udp' };
    expect(portUrl(udp, '/proxy/', page)).toBeNull();
    expect(portText(udp)).toBe('8080→80/udp');
    expect(portText(tcp(''))).toBe('8080→80');
  });
});

describe('lossText', () => {
  it('says why lines are missing: read too slowly, the engine, the throttle', () => {
    expect(lossText({ type: 'dropped', lines: 12 })).toBe(
      '── 12 lines were dropped: this view read too slowly ──'
    );
    // The engine's own stream left them out (Podman at a container's exit): its own words.
    expect(
      lossText({
        type: 'dropped',
        lines: 40,
        reason: 'engine',
        message:
          "The engine's log stream left out 40 lines when the container stopped"
      })
    ).toBe(
      "── The engine's log stream left out 40 lines when the container stopped ──"
    );
    expect(lossText({ type: 'throttled', state: 'on', name: 'web' })).toBe(
      '── web prints too fast: lines over the limit are dropped ──'
    );
    expect(
      lossText({ type: 'throttled', state: 'off', name: 'web', dropped: 7 })
    ).toBe('── web: 7 lines were dropped by the throttle ──');
  });
});

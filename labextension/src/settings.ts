/**
 * The extension's settings (schema/plugin.json) as the console, the alerts and the pins read
 * them: every value checked, a default for what is missing or wrong.
 */
import { DEFAULT_ALERT_SETTINGS, IAlertSettings, IPin } from './alerts';
import { DEFAULT_CONSOLE_SETTINGS, IConsoleSettings } from './console';

/** The alert settings from the settings editor's values. */
export function readAlertSettings(
  raw: Record<string, unknown>
): IAlertSettings {
  const d = DEFAULT_ALERT_SETTINGS;
  const patterns = Array.isArray(raw.alertPatterns)
    ? raw.alertPatterns.filter(
        (p): p is string => typeof p === 'string' && p !== ''
      )
    : d.patterns;
  const cooldown = raw.alertCooldown;
  return {
    enabled:
      typeof raw.alertsEnabled === 'boolean' ? raw.alertsEnabled : d.enabled,
    patterns,
    cooldown:
      typeof cooldown === 'number' && cooldown >= 0 ? cooldown : d.cooldown
  };
}

/** The pinned containers as the settings hold them. */
export function readPins(raw: unknown): IPin[] {
  if (!Array.isArray(raw)) {
    return [];
  }
  return raw
    .filter(
      (p): p is { name: string; engine?: unknown } =>
        !!p && typeof p === 'object' && typeof p.name === 'string' && !!p.name
    )
    .map(p => ({
      name: p.name,
      engine: typeof p.engine === 'string' ? p.engine : ''
    }));
}

/** The console settings from the settings editor's values. */
export function readSettings(raw: Record<string, unknown>): IConsoleSettings {
  const d = DEFAULT_CONSOLE_SETTINGS;
  const num = (value: unknown, fallback: number) =>
    typeof value === 'number' && Number.isFinite(value) ? value : fallback;
  const tail = raw.tailLines;
  return {
    scrollback: num(raw.scrollback, d.scrollback),
    tail: tail === 'all' ? 'all' : num(tail, d.tail as number),
    timestamps:
      typeof raw.timestamps === 'boolean' ? raw.timestamps : d.timestamps,
    stats: typeof raw.showStats === 'boolean' ? raw.showStats : d.stats,
    fontSize: typeof raw.fontSize === 'number' ? raw.fontSize : null
  };
}

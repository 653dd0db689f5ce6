import { readFileSync } from 'node:fs';
import { parseAlerts } from '../../api/schemas/alert.js';
import { loadProfiles } from '../../config/profiles.js';
import { ProfileRunner } from '../../engine/profiles.js';
import { remainingDuration } from '../../domain/duration.js';
import { InvalidValueError, LapisError } from '../../errors.js';
import type { Db } from '../../store/db.js';
import { stringFlag, type LeafCommand } from '../args.js';
import { CliError, withDb } from '../context.js';

export interface ProfileTrial {
  scenario: string;
  source: string;
  matchedBy: string | null;
  notifications: string[];
  decisions: { type: string; scope: string; value: string; duration: string; origin: string; simulated: boolean }[];
}

/**
 * `lapis profiles test --alert FILE`: runs the profiles over alerts as an agent would send them
 * (one alert or an array), against the real decision history, and stores nothing.
 */
export async function profilesTest(db: Db, profilesPath: string | undefined, alertText: string, now = Date.now()): Promise<ProfileTrial[]> {
  let body: unknown;
  try {
    body = JSON.parse(alertText);
  } catch (err) {
    throw new CliError(`the alert file is not JSON: ${(err as Error).message}`);
  }
  let alerts: ReturnType<typeof parseAlerts>;
  try {
    alerts = parseAlerts(Array.isArray(body) ? body : [body], now);
  } catch (err) {
    // `invalid alert: ` before the API's refusal (a problem list, a bad duration or IP), its lines joined by '; '
    if (err instanceof LapisError || err instanceof InvalidValueError)
      throw new CliError(`invalid alert: ${err.message.replace(/\n/g, '; ')}`);
    throw err;
  }
  const runner = new ProfileRunner(loadProfiles(profilesPath));
  const outcome = await runner.apply(db, alerts, now);
  return alerts.map((a, i) => ({
    scenario: a.scenario,
    source: `${a.source.scope}:${a.source.value}`,
    matchedBy: outcome.matchedBy[i] ?? null,
    notifications: outcome.notify[i] ?? [],
    decisions: a.decisions.map((d) => ({
      type: d.type,
      scope: d.scope,
      value: d.value,
      duration: remainingDuration(d.until, a.stoppedAt),
      origin: d.origin,
      simulated: d.simulated,
    })),
  }));
}

export const testCommand: LeafCommand = {
  name: 'test',
  summary: 'show which profile matches an alert and the decisions it would make (nothing is stored)',
  examples: ['lapis profiles test --alert alert.json'],
  flags: { alert: { type: 'string', short: 'a', description: 'a JSON file holding an alert (or an array of alerts) as agents send them' } },
  args: { min: 0, max: 0 },
  async run(ctx, _args, flags) {
    const file = stringFlag(flags, 'alert');
    if (!file) throw new CliError('required flag(s) "alert" not set');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(
        `open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
      );
    }
    const trials = await withDb(ctx, (db, config) => profilesTest(db, config.server.profiles_path, text));
    if (ctx.out.format === 'json') return ctx.out.json(trials);
    for (const t of trials) {
      ctx.out.line(`${t.scenario} on ${t.source}: ${t.matchedBy ? `profile '${t.matchedBy}'` : 'no profile gives decisions'}`);
      for (const d of t.decisions)
        ctx.out.line(`  ${d.type} ${d.scope}:${d.value} for ${d.duration} (origin ${d.origin}${d.simulated ? ', simulated' : ''})`);
      if (t.notifications.length > 0) ctx.out.line(`  notifications: ${t.notifications.join(', ')}`);
    }
  },
};

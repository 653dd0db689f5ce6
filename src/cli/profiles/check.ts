import { loadProfiles } from '../../config/profiles.js';
import type { Profile } from '../../domain/profile.js';
import type { LeafCommand } from '../args.js';

/** `lapis profiles check`: loads and compiles api.server.profiles_path (or the embedded defaults). */
export function profilesCheck(path: string | undefined): Profile[] {
  return loadProfiles(path);
}

export const checkCommand: LeafCommand = {
  name: 'check',
  summary: 'validate the profiles file: YAML, keys, durations and every expression',
  examples: ['lapis profiles check', 'lapis profiles check -c /etc/crowdsec/config.yaml'],
  args: { min: 0, max: 0 },
  async run(ctx) {
    const path = ctx.config().server.profiles_path;
    const profiles = profilesCheck(path);
    if (ctx.out.format === 'json') return ctx.out.json(profiles.map((p) => ({ name: p.name, filters: p.filters.map((f) => f.source) })));
    ctx.out.line(`${path ?? 'embedded default profiles'}: ${profiles.length} profile(s) OK: ${profiles.map((p) => p.name).join(', ')}`);
  },
};

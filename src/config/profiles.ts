import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_PROFILES_YAML, parseProfiles, ProfileError, type Profile } from '../domain/profile.js';
import { ConfigError } from '../errors.js';

/**
 * Loads `api.server.profiles_path`, with its `.local` documents first (as upstream), or Lapis's
 * embedded copy of upstream's default profiles when no path is configured.
 */
export function loadProfiles(path: string | undefined): Profile[] {
  try {
    if (path === undefined) return parseProfiles(DEFAULT_PROFILES_YAML, '(embedded default profiles)');
    if (!existsSync(path)) throw new ConfigError(`profiles: ${path}: no such file`);
    const local = `${path}.local`;
    const profiles = [
      ...(existsSync(local) ? parseProfiles(readFileSync(local, 'utf8'), local) : []),
      ...parseProfiles(readFileSync(path, 'utf8'), path),
    ];
    if (profiles.length === 0) throw new ConfigError(`profiles: ${path}: no profile found`);
    return profiles;
  } catch (err) {
    if (err instanceof ProfileError) throw new ConfigError(`profiles: ${err.message}`);
    throw err;
  }
}

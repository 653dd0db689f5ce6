import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_PROFILES_YAML, parseProfiles, type Profile } from '../domain/profile.js';
import { ConfigError, withField } from '../errors.js';

/** A profiles file's documents; a bad one reads `profiles: FILE: profile 'NAME': …`, as config errors name their key. */
function parseFile(text: string, file: string): Profile[] {
  return withField('profiles', () => parseProfiles(text, file));
}

/**
 * Loads `api.server.profiles_path`, with its `.local` documents first (as upstream), or Lapis's
 * embedded copy of upstream's default profiles when no path is configured.
 */
export function loadProfiles(path: string | undefined): Profile[] {
  if (path === undefined) return parseFile(DEFAULT_PROFILES_YAML, '(embedded default profiles)');
  if (!existsSync(path)) throw new ConfigError(`profiles: ${path}: no such file`);
  const local = `${path}.local`;
  const profiles = [
    ...(existsSync(local) ? parseFile(readFileSync(local, 'utf8'), local) : []),
    ...parseFile(readFileSync(path, 'utf8'), path),
  ];
  if (profiles.length === 0) throw new ConfigError(`profiles: ${path}: no profile found`);
  return profiles;
}

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Config } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir, testConfig } from '../helpers/app.js';

/** Loads `yaml` (and `local`, the `.local` overlay, when given) from a fresh temp dir. */
export function load(t: TestContext, yaml: string, env: NodeJS.ProcessEnv = {}, local?: string): Config {
  const dir = tempDir(t);
  if (local !== undefined) writeFileSync(join(dir, 'config.yaml.local'), local);
  return testConfig(dir, yaml, env);
}

/** Asserts that loading fails with a ConfigError whose message is exactly `message` (`PATH` = the config file). */
export function failsWith(t: TestContext, yaml: string, message: string, env: NodeJS.ProcessEnv = {}, local?: string): void {
  const dir = tempDir(t);
  if (local !== undefined) writeFileSync(join(dir, 'config.yaml.local'), local);
  assert.throws(
    () => testConfig(dir, yaml, env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      assert.equal(err.message, message.replaceAll('PATH', join(dir, 'config.yaml')));
      return true;
    },
  );
}

/** `api.server` keys as YAML. */
export const server = (body: string) => `api:\n  server:\n${body.replace(/^/gm, '    ')}\n`;

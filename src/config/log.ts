import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { LogOutput, RawConfig } from './schema.js';

/** The file Lapis writes in `common.log_dir` (upstream's LAPI writes crowdsec_api.log there). */
export const LOG_FILE_NAME = 'lapis.log';

/** As upstream's csconfig/logging.go: an unset or 0 value means lumberjack's default there. */
const DEFAULTS = { maxSizeMb: 500, maxFiles: 3, maxAgeDays: 28, compress: true };

/**
 * `common.log_media`, `log_dir`, `log_format` and the rotation keys, checked. Returns the output and the
 * warnings for values upstream knows and Lapis does not act on. The directory is checked when the server
 * opens the file, not here: the CLI verbs load the same config and log nothing.
 */
export function parseLogOutput(common: RawConfig['common']): { output: LogOutput; warnings: string[] } {
  const warnings: string[] = [];
  const format = common.log_format ?? '';
  if (format === 'text') warnings.push('common.log_format: text is not supported: Lapis writes JSON lines');
  else if (format !== '' && format !== 'json')
    throw new ConfigError(`config: common.log_format: unknown log format '${format}' (json or text)`);
  switch (common.log_media) {
    case 'stdout':
      return { output: { media: 'stdout' }, warnings };
    case 'syslog':
      warnings.push('common.log_media: syslog is not supported: Lapis logs to stdout (the journal, under systemd)');
      return { output: { media: 'stdout' }, warnings };
    case 'file':
      break;
    default:
      throw new ConfigError(`config: common.log_media: unknown log media '${common.log_media}' (stdout or file)`);
  }
  if (common.log_dir.trim() === '') throw new ConfigError('config: common.log_dir: must not be empty with log_media: file');
  return {
    output: {
      media: 'file',
      path: join(resolve(common.log_dir), LOG_FILE_NAME),
      maxSizeMb: common.log_max_size || DEFAULTS.maxSizeMb,
      maxFiles: common.log_max_files || DEFAULTS.maxFiles,
      maxAgeDays: common.log_max_age || DEFAULTS.maxAgeDays,
      compress: common.compress_logs ?? DEFAULTS.compress,
    },
    warnings,
  };
}

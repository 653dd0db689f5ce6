import { parseArgs } from 'node:util';
import { DurationError, parseDuration } from '../domain/duration.js';
import { CliError, type Ctx } from './context.js';

/**
 * The command tree and its parsing, shaped like cobra (which cscli uses): nouns group verbs, global flags
 * are accepted anywhere, a string flag takes the next word whatever it looks like, and errors use
 * cobra's wording (`unknown flag: --x`, `accepts 1 arg(s), received 0`).
 */

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  /** Shown in help as `(default "…")`. */
  defaultText?: string;
  /** Printed on stderr when used, as cobra's MarkDeprecated. */
  deprecated?: string;
  /** The value's name in help (`string`, `duration`). */
  valueName?: string;
  /** A string flag that may be given several times (`--tag a --tag b`): its values collect in order (listFlag). */
  multiple?: boolean;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface LeafCommand {
  name: string;
  aliases?: string[];
  /** What follows the command in the usage line: `[NAME]`, `NAME...`. */
  usage?: string;
  summary: string;
  description?: string;
  examples?: string[];
  flags?: Record<string, FlagSpec>;
  args: { min: number; max: number };
  run(ctx: Ctx, args: string[], flags: FlagValues): Promise<void>;
}

export interface GroupCommand {
  name: string;
  aliases?: string[];
  summary: string;
  description?: string;
  commands: Command[];
}

export type Command = LeafCommand | GroupCommand;

export function isGroup(c: Command): c is GroupCommand {
  return 'commands' in c;
}

export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  config: {
    type: 'string',
    short: 'c',
    description: 'path to the configuration file (default: $LAPIS_CONFIG, else the built-in defaults)',
  },
  output: { type: 'string', short: 'o', description: 'Output format: human, json, raw', defaultText: 'human' },
};

export const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', description: 'help for' };

export interface Resolved {
  /** From the root down to the command found. */
  path: Command[];
  /** argv without the command names. */
  rest: string[];
  /** A word that names no subcommand of the last group in `path`. */
  unknown?: string;
}

/** The global flags that take a value, as they may stand between command words (`-c FILE`, `--output json`). */
const GLOBAL_VALUE_TOKENS = new Set(
  Object.entries(GLOBAL_FLAGS)
    .filter(([, s]) => s.type === 'string')
    .flatMap(([name, s]) => [`--${name}`, ...(s.short ? [`-${s.short}`] : [])]),
);

function takesGlobalValue(token: string): boolean {
  return GLOBAL_VALUE_TOKENS.has(token);
}

/** Finds the command named by argv, skipping global flags (and their values) between the words. */
export function resolveCommand(root: GroupCommand, argv: readonly string[]): Resolved {
  const path: Command[] = [root];
  const rest = [...argv];
  let node: Command = root;
  while (isGroup(node)) {
    let idx = -1;
    for (let i = 0; i < rest.length; i++) {
      const tok = rest[i]!;
      if (tok === '--') break;
      if (tok.startsWith('-') && tok !== '-') {
        if (takesGlobalValue(tok)) i++;
        continue;
      }
      idx = i;
      break;
    }
    if (idx < 0) break;
    const word = rest[idx]!;
    const child: Command | undefined = node.commands.find((c) => c.name === word || c.aliases?.includes(word));
    if (!child) return { path, rest, unknown: word };
    rest.splice(idx, 1);
    node = child;
    path.push(child);
  }
  return { path, rest };
}

export function commandPath(path: readonly Command[]): string {
  return path.map((c) => c.name).join(' ');
}

function parseBool(raw: string, flagName: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  throw new CliError(`invalid argument "${raw}" for "${flagName}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
}

/** Parses flags and positionals against `specs` (the command's, the global ones and -h). */
export function parseFlags(
  argv: readonly string[],
  specs: Record<string, FlagSpec>,
  warn: (msg: string) => void,
): { values: FlagValues; positionals: string[] } {
  const all: Record<string, FlagSpec> = { ...specs, help: HELP_FLAG };
  const options = Object.fromEntries(
    Object.entries(all).map(([k, s]) => [k, s.short ? { type: s.type, short: s.short } : { type: s.type }]),
  );
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: FlagValues = {};
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    if (t.kind !== 'option') continue;
    const spec = all[t.name];
    const short = !t.rawName.startsWith('--');
    // cobra names the whole word a short flag came in (`'d' in -dash`)
    const word = argv[t.index] ?? t.rawName;
    if (!spec) {
      throw new CliError(short ? `unknown shorthand flag: '${t.name}' in ${word}` : `unknown flag: ${t.rawName}`);
    }
    if (spec.type === 'string') {
      if (t.value === undefined) {
        throw new CliError(short ? `flag needs an argument: '${spec.short}' in ${word}` : `flag needs an argument: ${t.rawName}`);
      }
      if (spec.multiple) {
        const prev = values[t.name];
        values[t.name] = [...(Array.isArray(prev) ? prev : []), t.value];
      } else values[t.name] = t.value;
    } else {
      values[t.name] = t.inlineValue && t.value !== undefined ? parseBool(t.value, `--${t.name}`) : true;
    }
    if (spec.deprecated) warn(`Flag --${t.name} has been deprecated, ${spec.deprecated}`);
  }
  return { values, positionals };
}

/** cobra's argument-count checks. */
export function checkArgCount(cmd: LeafCommand, path: string, args: readonly string[]): void {
  const { min, max } = cmd.args;
  const n = args.length;
  if (max === 0 && n > 0) throw new CliError(`unknown command "${args[0]}" for "${path}"`);
  if (min === max && n !== min) throw new CliError(`accepts ${min} arg(s), received ${n}`);
  if (n < min) throw new CliError(`requires at least ${min} arg(s), only received ${n}`);
  if (n > max) throw new CliError(`accepts at most ${max} arg(s), received ${n}`);
}

export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** The values of a flag given several times (FlagSpec.multiple), in order; [] when absent. */
export function listFlag(flags: FlagValues, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function boolFlag(flags: FlagValues, name: string): boolean {
  return flags[name] === true;
}

/** A duration flag (days allowed), with pflag's error wording. */
export function durationFlag(flags: FlagValues, name: string, short: string | undefined, fallbackMs: number): number {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return fallbackMs;
  try {
    return parseDuration(raw);
  } catch (err) {
    if (err instanceof DurationError) {
      throw new CliError(`invalid argument "${raw}" for "${short ? `-${short}, ` : ''}--${name}" flag: ${err.message}`);
    }
    throw err;
  }
}

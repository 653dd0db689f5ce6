// Help text in cobra's layout (what `--help` prints) for the command tree of `args.ts`; cscli's users and
// the CLI tests depend on it byte for byte.
import { commandPath, type Command, type FlagSpec, GLOBAL_FLAGS, HELP_FLAG, isGroup } from './args.js';

function flagLines(specs: Record<string, FlagSpec>): string[] {
  const entries = Object.entries(specs).sort(([a], [b]) => a.localeCompare(b));
  const left = entries.map(([name, s]) => {
    const shortPart = s.short ? `-${s.short}, ` : '    ';
    const value = s.type === 'string' ? ` ${s.valueName ?? 'string'}` : '';
    return `  ${shortPart}--${name}${value}`;
  });
  const width = Math.max(0, ...left.map((l) => l.length));
  return entries.map(([, s], i) => {
    const def = s.defaultText !== undefined ? ` (default "${s.defaultText}")` : '';
    return `${left[i]!.padEnd(width)}   ${s.description}${def}`;
  });
}

/** Help in cobra's layout, for a group or a verb. */
export function helpText(path: readonly Command[]): string {
  const cmd = path[path.length - 1]!;
  const full = commandPath(path);
  const isRoot = path.length === 1;
  const lines: string[] = [cmd.description ?? cmd.summary, '', 'Usage:'];
  if (isGroup(cmd)) {
    lines.push(`  ${full} [command]`);
  } else {
    lines.push(`  ${full}${cmd.usage ? ` ${cmd.usage}` : ''} [flags]`);
  }
  if (cmd.aliases?.length) lines.push('', 'Aliases:', `  ${[cmd.name, ...cmd.aliases].join(', ')}`);
  if (!isGroup(cmd) && cmd.examples?.length) lines.push('', 'Examples:', ...cmd.examples.map((e) => `  ${e}`));
  if (isGroup(cmd)) {
    const width = Math.max(...cmd.commands.map((c) => c.name.length), 10);
    lines.push('', 'Available Commands:');
    for (const c of [...cmd.commands].sort((a, b) => a.name.localeCompare(b.name))) {
      lines.push(`  ${c.name.padEnd(width)}  ${c.summary}`);
    }
  }
  const own: Record<string, FlagSpec> = {
    ...(isGroup(cmd) ? {} : cmd.flags),
    help: { ...HELP_FLAG, description: `help for ${cmd.name}` },
  };
  if (isRoot) Object.assign(own, GLOBAL_FLAGS);
  lines.push('', 'Flags:', ...flagLines(own));
  if (!isRoot) lines.push('', 'Global Flags:', ...flagLines(GLOBAL_FLAGS));
  if (isGroup(cmd)) lines.push('', `Use "${full} [command] --help" for more information about a command.`);
  return `${lines.join('\n')}\n`;
}

import { parseAllDocuments } from 'yaml';
import { compile, ExprSyntaxError, type CompiledExpr } from '../expr/index.js';
import { parseDuration } from './duration.js';
import { InvalidValueError, withField } from '../errors.js';

/**
 * profiles.yaml, as upstream (pkg/csprofiles/csprofiles.go): a multi-document YAML, one profile per document.
 * Expressions compile once, at load; an error names the profile and the field.
 */
export interface DecisionTemplate {
  type: string;
  /** Milliseconds; upstream only warns when it is missing, Lapis takes 4h (the documented default). */
  durationMs: number;
  scope?: string;
  origin?: string;
  simulated: boolean;
}

export type OnSuccess = 'break' | 'continue';
export type OnError = 'apply' | 'continue' | 'break' | 'ignore';

export interface Profile {
  name: string;
  debug: boolean;
  filters: { source: string; expr: CompiledExpr }[];
  decisions: DecisionTemplate[];
  durationExpr?: { source: string; expr: CompiledExpr };
  onSuccess: OnSuccess;
  onFailure: string;
  onError: OnError;
  notifications: string[];
}

export class ProfileError extends InvalidValueError {
  override name = 'ProfileError';
}

export const DEFAULT_DURATION_MS = 4 * 3600_000;

/** Upstream's two default profiles, shipped with Lapis and used by the embedded default config. */
export const DEFAULT_PROFILES_YAML = `name: default_ip_remediation
#debug: true
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
#duration_expr: Sprintf('%dh', (GetDecisionsCount(Alert.GetValue()) + 1) * 4)
on_success: break
---
name: default_range_remediation
#debug: true
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Range"
decisions:
 - type: ban
   duration: 4h
on_success: break
`;

const PROFILE_KEYS = new Set([
  'name',
  'debug',
  'filters',
  'decisions',
  'duration_expr',
  'on_success',
  'on_failure',
  'on_error',
  'notifications',
]);
const DECISION_KEYS = new Set(['type', 'duration', 'scope', 'origin', 'simulated', 'value']);

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new ProfileError(`${where}: expected a string`);
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string, fallback: T): T {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ProfileError(`${where}: must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

function compileAt(source: string, where: string): CompiledExpr {
  try {
    return compile(source);
  } catch (err) {
    if (err instanceof ExprSyntaxError) throw new ProfileError(`${where}: ${err.message}`);
    throw err;
  }
}

function parseTemplate(raw: unknown, where: string): DecisionTemplate {
  if (!isMap(raw)) throw new ProfileError(`${where}: expected a mapping`);
  for (const k of Object.keys(raw)) if (!DECISION_KEYS.has(k)) throw new ProfileError(`${where}.${k}: unknown key`);
  let durationMs = DEFAULT_DURATION_MS;
  if (raw.duration !== undefined && raw.duration !== null) {
    const text = str(raw.duration, `${where}.duration`);
    durationMs = withField(`${where}.duration`, () => parseDuration(text));
    if (durationMs <= 0) throw new ProfileError(`${where}.duration: must be positive`);
  }
  return {
    type: str(raw.type ?? 'ban', `${where}.type`),
    durationMs,
    ...(raw.scope ? { scope: str(raw.scope, `${where}.scope`) } : {}),
    ...(raw.origin ? { origin: str(raw.origin, `${where}.origin`) } : {}),
    simulated: raw.simulated === true,
  };
}

function parseProfile(raw: unknown, index: number, file: string): Profile {
  if (!isMap(raw)) throw new ProfileError(`${file}: document ${index + 1}: expected a mapping`);
  const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : `#${index + 1}`;
  const at = `${file}: profile '${name}'`;
  for (const k of Object.keys(raw)) if (!PROFILE_KEYS.has(k)) throw new ProfileError(`${at}: ${k}: unknown key`);
  const filters = raw.filters ?? [];
  if (!Array.isArray(filters)) throw new ProfileError(`${at}: filters: expected a list`);
  const decisions = raw.decisions ?? [];
  if (!Array.isArray(decisions)) throw new ProfileError(`${at}: decisions: expected a list`);
  const notifications = raw.notifications ?? [];
  if (!Array.isArray(notifications)) throw new ProfileError(`${at}: notifications: expected a list`);
  const durationExpr = raw.duration_expr;
  return {
    name,
    debug: raw.debug === true,
    filters: filters.map((f, i) => {
      const source = str(f, `${at}: filters[${i}]`);
      return { source, expr: compileAt(source, `${at}: filters[${i}]`) };
    }),
    decisions: decisions.map((d, i) => parseTemplate(d, `${at}: decisions[${i}]`)),
    ...(typeof durationExpr === 'string' && durationExpr !== ''
      ? { durationExpr: { source: durationExpr, expr: compileAt(durationExpr, `${at}: duration_expr`) } }
      : {}),
    onSuccess: oneOf(raw.on_success, ['break', 'continue'] as const, `${at}: on_success`, 'continue'),
    onFailure: oneOf(raw.on_failure, ['break', 'continue', 'apply'] as const, `${at}: on_failure`, 'continue'),
    onError: oneOf(raw.on_error, ['apply', 'continue', 'break', 'ignore'] as const, `${at}: on_error`, 'continue'),
    notifications: notifications.map((n, i) => str(n, `${at}: notifications[${i}]`)),
  };
}

/** Parses the documents of one profiles file. Empty documents are skipped. */
export function parseProfiles(text: string, file: string): Profile[] {
  const docs = parseAllDocuments(text);
  const out: Profile[] = [];
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) throw new ProfileError(`${file}: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    out.push(parseProfile(value, i, file));
  }
  return out;
}

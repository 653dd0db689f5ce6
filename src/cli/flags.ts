import type { FlagSpec } from './args.js';

// Flags several verbs share, with cscli's wording (cmd/crowdsec-cli/clidecision, clialert).
export const IP_FLAG: FlagSpec = { type: 'string', short: 'i', description: 'Source ip (shorthand for --scope ip --value <IP>)' };
export const RANGE_FLAG: FlagSpec = {
  type: 'string',
  short: 'r',
  description: 'Range source ip (shorthand for --scope range --value <RANGE>)',
};
export const VALUE_MATCH_FLAG: FlagSpec = { type: 'string', short: 'v', description: 'the value to match for in the specified scope' };
export const CONTAINED_FLAG: FlagSpec = { type: 'boolean', description: 'query decisions contained by range' };

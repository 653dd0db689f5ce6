import { entityTagCommand } from '../tags.js';

/** `lapis machines tag NAME [TAG...] [--remove]`. */
export const tagCommand = entityTagCommand('machine', 'machines');

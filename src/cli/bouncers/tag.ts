import { entityTagCommand } from '../tags.js';

/** `lapis bouncers tag NAME [TAG...] [--remove]`. */
export const tagCommand = entityTagCommand('bouncer', 'bouncers');

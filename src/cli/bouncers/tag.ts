import { entityTagCommand } from '../machines/tag.js';

/** `lapis bouncers tag NAME [TAG...] [--remove]`. */
export const tagCommand = entityTagCommand('bouncer', 'bouncers');

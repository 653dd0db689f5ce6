/**
 * Notifications: upstream's notification plugin files (only the `http` type, built in) and a dispatcher
 * that never holds up alert ingestion.
 *
 *   const dispatcher = new NotificationDispatcher(loadNotifiers(notificationDir, { env }), { logger });
 *   dispatcher.has(name)              // check each profile's `notifications:` at startup
 *   dispatcher.enqueue(name, alerts)  // per matching profile; never throws, never waits
 *   await dispatcher.close()          // on shutdown
 */
export { loadNotifiers, parseNotifiers, NotificationConfigError } from './config.js';
export type { HttpNotifierConfig, LoadNotifiersOptions, NotifierConfig, NotifierLogLevel } from './config.js';
export { NotificationDispatcher } from './dispatcher.js';
export type { DispatcherOptions, NotifyCounter, NotifyLogFn, NotifyLogger, NotifyStats } from './types.js';
export { parseTemplate, TemplateError } from '../gotemplate/template.js';
export type { Template, TemplateOptions } from '../gotemplate/template.js';

import type { TestContext } from 'node:test';

/** What a helper needs of a test to clean up after it: a TestContext, or anything with `after` (a describe's hooks). */
export type After = TestContext | { after(fn: () => unknown): void };

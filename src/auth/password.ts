import bcrypt from 'bcrypt';
import { BadRequestError } from '../errors.js';

/** As upstream: bcrypt, cost 10. */
const COST = 10;
/** bcrypt reads at most 72 bytes; upstream refuses longer passwords rather than truncating them. */
export const MAX_PASSWORD_BYTES = 72;

export async function hashPassword(password: string): Promise<string> {
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) throw new BadRequestError('unable to hash');
  return bcrypt.hash(password, COST);
}

/** Constant-time by construction (bcrypt compares digests). Never throws. */
export async function checkPassword(password: string, hash: string): Promise<boolean> {
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return false;
  try {
    return await bcrypt.compare(password, hash);
  } catch {
    return false;
  }
}

/** 64 characters from upstream's charset (which leaves out `Z`). */
export function generatePassword(length = 64): string {
  const charset = 'ABCDEFGHIJKLMNOPQRSTUVWXYabcdefghijklmnopqrstuvwxyz0123456789';
  return randomFrom(charset, length);
}

export function randomFrom(charset: string, length: number): string {
  const out: string[] = [];
  // rejection sampling keeps the draw uniform
  const limit = 256 - (256 % charset.length);
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < limit && out.length < length) out.push(charset[b % charset.length]!);
    }
  }
  return out.join('');
}

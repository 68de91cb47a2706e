import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Project } from './projects.queries.ts';

export type ProjectKeys = { projectId: string; writeKey: string; secretKey: string; identitySecret: string };

const token = (bytes: number) => randomBytes(bytes).toString('base64url');

/** New keys for a project. The secret key has 256 random bits, so a fast hash is enough to store it. */
export function generateProjectKeys(): ProjectKeys {
  return {
    projectId: `prj_${token(9)}`,
    writeKey: `wk_${token(18)}`,
    secretKey: `sk_${token(32)}`,
    identitySecret: `is_${token(32)}`,
  };
}

export function hashSecretKey(secretKey: string): string {
  return createHash('sha256').update(secretKey).digest('hex');
}

/** `hex(HMAC-SHA256(identitySecret, userId))`, as the product's backend computes it for widgets. */
export function userHash(identitySecret: string, userId: string): string {
  return createHmac('sha256', identitySecret).update(userId).digest('hex');
}

/** Constant-time comparison of two strings of possibly different lengths. */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}

/**
 * Whether `hash` is the project's userHash of `userId` (hex, either case), in constant time: the
 * one check behind widget reads and identity verification on writes (docs/protocol.md).
 */
export function userHashMatches(project: Project, userId: string, hash: string): boolean {
  return safeEqual(userHash(project.identitySecret, userId), hash.toLowerCase());
}

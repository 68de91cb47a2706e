import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Project } from './projects.queries.ts';

export type ProjectKeys = { projectId: string; writeKey: string; secretKey: string; identitySecret: string };

const token = (bytes: number) => randomBytes(bytes).toString('base64url');

/** A new key of one kind, as a rotation makes it. */
export function generateKey(kind: 'write' | 'secret' | 'identity'): string {
  if (kind === 'write') return `wk_${token(18)}`;
  return kind === 'secret' ? `sk_${token(32)}` : `is_${token(32)}`;
}

/** New keys for a project. The secret key has 256 random bits, so a fast hash is enough to store it. */
export function generateProjectKeys(): ProjectKeys {
  return {
    projectId: `prj_${token(9)}`,
    writeKey: generateKey('write'),
    secretKey: generateKey('secret'),
    identitySecret: generateKey('identity'),
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
 * Whether `hash` is the userHash of `userId` under any live identity secret of the project: the
 * current one, or one rotated out whose overlap has not ended (docs/security.md). Every secret is
 * tried, in constant time each, so the answer's timing says nothing about which matched.
 */
export function userHashMatches(project: Project, userId: string, hash: string): boolean {
  const now = Date.now();
  const given = hash.toLowerCase();
  let matched = safeEqual(userHash(project.identitySecret, userId), given);
  for (const previous of project.previousIdentitySecrets) {
    if (previous.expiresAt > now && safeEqual(userHash(previous.secret, userId), given)) matched = true;
  }
  return matched;
}

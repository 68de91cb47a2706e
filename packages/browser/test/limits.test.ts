import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS } from '@uptake/protocol';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_BYTES, MAX_BEACON_BYTES } from '../src/limits.ts';
import { VERSION } from '../src/version.ts';

describe('limits', () => {
  it('equal the protocol limits', () => {
    expect(MAX_BATCH_EVENTS).toBe(LIMITS.maxEventsPerBatch);
    expect(MAX_BATCH_BYTES).toBe(LIMITS.maxBatchBytes);
    expect(MAX_EVENT_BYTES).toBe(LIMITS.maxEventBytes);
    expect(MAX_BEACON_BYTES).toBe(64 * 1024);
  });

  it('sends the package version as context.library.version', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});

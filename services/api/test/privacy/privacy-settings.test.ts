import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

describe('retention and IP settings', () => {
  it('retention runs by default in 5,000-row batches; no IP is stored by default; each can be changed, bad values refused by name', () => {
    expect(loadConfig({})).toMatchObject({ retention: { run: true, batchSize: 5000 }, storeIp: false });
    expect(loadConfig({ UPTAKE_RETENTION: '0', UPTAKE_RETENTION_BATCH: '200', UPTAKE_STORE_IP: '1' })).toMatchObject({ retention: { run: false, batchSize: 200 }, storeIp: true });
    expect(loadConfig({ UPTAKE_RETENTION: '', UPTAKE_STORE_IP: '' })).toMatchObject({ retention: { run: true }, storeIp: false });
    expect(() => loadConfig({ UPTAKE_STORE_IP: 'yes' })).toThrow('invalid environment variable UPTAKE_STORE_IP: must be 1, 0, true or false');
    expect(() => loadConfig({ UPTAKE_RETENTION_BATCH: '0' })).toThrow('invalid environment variable UPTAKE_RETENTION_BATCH');
    expect(() => loadConfig({ UPTAKE_RETENTION_BATCH: '1.5' })).toThrow('invalid environment variable UPTAKE_RETENTION_BATCH');
  });
});

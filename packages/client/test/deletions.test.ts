import { describe, expect, it } from 'vitest';
import { createUptakeClient, UptakeConfigError } from '../src/index.ts';
import { fakeFetch } from './support/fake-fetch.ts';

const host = 'https://uptake.example.com';
const receipt = { deletionId: 'del_1', subject: 'user', status: 'completed', allowReturn: false, requestedAt: '2026-12-05T10:00:00.000Z', completedAt: '2026-12-05T10:00:01.000Z', rows: { events: 3 } };

describe('deletion methods', () => {
  it('build the DELETE and receipt routes with encoded ids and allowReturn', async () => {
    const fake = fakeFetch(() => ({ body: receipt }));
    const client = createUptakeClient({ host, secretKey: 'sk_secret', fetch: fake.fetch });
    expect(await client.deleteUser('u/1')).toEqual(receipt);
    await client.deleteUser('u1', { allowReturn: true });
    await client.deleteAccount('acme corp', { allowReturn: false });
    await client.deletion('del_1');
    expect(fake.requests.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)).toEqual([
      'DELETE /v1/users/u%2F1',
      'DELETE /v1/users/u1?allowReturn=true',
      'DELETE /v1/accounts/acme%20corp?allowReturn=false',
      'GET /v1/deletions/del_1',
    ]);
    for (const request of fake.requests) expect(request.headers['authorization']).toBe('Bearer sk_secret');
  });

  it('needs the secret key', async () => {
    const client = createUptakeClient({ host, writeKey: 'wk_1', fetch: fakeFetch(() => ({ body: receipt })).fetch });
    await expect(client.deleteUser('u1')).rejects.toBeInstanceOf(UptakeConfigError);
  });
});

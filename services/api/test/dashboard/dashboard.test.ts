/**
 * The dashboard's static files: served under /dashboard with a strict Content-Security-Policy,
 * cache headers per kind of file, and no data of their own — every data endpoint the page's
 * scripts name is a query route that answers 401 without the secret key.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const publicDir = join(import.meta.dirname, '../../src/dashboard/public');
const scripts = (readdirSync(publicDir, { recursive: true }) as string[])
  .filter((path) => path.endsWith('.js'))
  .map((path) => ({ path: relative(publicDir, join(publicDir, path)).replaceAll('\\', '/'), source: readFileSync(join(publicDir, path), 'utf8') }));

describe('GET /dashboard', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite');
  });
  afterAll(async () => t?.close());

  it('redirects /dashboard to /dashboard/, which is the page with a strict CSP', async () => {
    const bare = await t.app.inject({ method: 'GET', url: '/dashboard' });
    expect(bare.statusCode).toBe(302);
    expect(bare.headers['location']).toBe('/dashboard/');

    const page = await t.app.inject({ method: 'GET', url: '/dashboard/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
    // No inline script or style: every <script> has a src, and there is no <style> or style="".
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/<style|\sstyle=/);
  });

  it('serves every script the page loads, and uPlot from a versioned path cached for a year', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/dashboard/' });
    const sources = [...page.body.matchAll(/(?:src|href)="(\/dashboard\/[^"]+)"/g)].map((match) => match[1]!);
    expect(sources.some((source) => /\/vendor\/uplot-\d+\.\d+\.\d+\/uPlot\.iife\.min\.js$/.test(source))).toBe(true);
    for (const source of sources) {
      const asset = await t.app.inject({ method: 'GET', url: source });
      expect(asset.statusCode, source).toBe(200);
      expect(asset.headers['content-security-policy']).toBeDefined();
      expect(asset.headers['cache-control']).toBe(source.includes('/vendor/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    for (const { path } of scripts) {
      const asset = await t.app.inject({ method: 'GET', url: `/dashboard/${path}` });
      expect(asset.statusCode, path).toBe(200);
      expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    }
  });

  it('answers 404 for anything else under /dashboard, paths that climb out included', async () => {
    for (const url of ['/dashboard/nope.js', '/dashboard/../package.json', '/dashboard/%2e%2e/src/app.ts', '/dashboard/dashboard.route.ts', '/dashboard/vendor/uplot-0.0.0/uPlot.iife.min.js']) {
      const answer = await t.app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(404);
    }
  });

  it('has no data backdoor: every endpoint the scripts name needs the secret key, and only api.js fetches', async () => {
    const endpoints = new Set<string>();
    for (const { source } of scripts) {
      for (const match of source.matchAll(/[`'"](\/v1\/[^`'"]*)[`'"]/g)) endpoints.add(match[1]!.replace(/\$\{[^}]*\}/g, 'x'));
      // Nothing but the query API and the page's own files: no other absolute path, no other origin.
      expect(source).not.toMatch(/[`'"]https?:\/\//);
      expect(source).not.toMatch(/\/v1\/(batch|track|identify|group|page|widgets)/);
    }
    expect([...endpoints].sort()).toEqual(
      expect.arrayContaining(['/v1/metrics/active', '/v1/nps', '/v1/score-models', '/v1/scores/accounts', '/v1/segments', '/v1/accounts', '/v1/accounts/x/score', '/v1/accounts/x/utilisation', '/v1/accounts/x/segments', '/v1/accounts/x/users', '/v1/segments/x/members']),
    );
    for (const endpoint of endpoints) {
      const answer = await t.app.inject({ method: 'GET', url: endpoint });
      expect(answer.statusCode, endpoint).toBe(401);
      const withWriteKey = await t.app.inject({ method: 'GET', url: endpoint, headers: { authorization: `Bearer ${t.project.writeKey}` } });
      expect(withWriteKey.statusCode, endpoint).toBe(401);
    }
    const fetching = scripts.filter(({ source }) => /\bfetch\(|XMLHttpRequest|sendBeacon|WebSocket|EventSource/.test(source)).map(({ path }) => path);
    expect(fetching).toEqual(['api.js']);
    expect(scripts.find(({ path }) => path === 'api.js')!.source).toContain('authorization: `Bearer ${secretKey}`');
    // The key lives in sessionStorage only.
    for (const { path, source } of scripts) {
      expect(source, path).not.toMatch(/localStorage|document\.cookie|indexedDB/);
    }
  });

  it('is not in the OpenAPI document', async () => {
    const openapi = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(Object.keys(openapi.json<{ paths: object }>().paths).filter((path) => path.startsWith('/dashboard'))).toEqual([]);
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/**
 * The customer-success dashboard's page security policy: only this origin's scripts, styles and
 * API; no inline code, no framing, no form posts elsewhere.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Domain modules the dashboard imports as /dashboard/figures/<name>: plain JavaScript that imports
 * nothing, so the browser runs the API's own definition (the score preview's percentiles, NPS categories, plays,
 * the CSV cells of the segment export).
 */
const DOMAIN_FILES = ['percentile.js', 'nps-category.js', 'plays.js', 'csv.js'];

type Asset = { body: Buffer; contentType: string; cacheControl: string };

/** Every file under `dir` (recursively), keyed by its path relative to `dir` with `/` separators. */
function readTree(dir: string, prefix = ''): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [path, body] of readTree(join(dir, entry.name), relative)) files.set(path, body);
    else if (CONTENT_TYPES[extname(entry.name)]) files.set(relative, readFileSync(join(dir, entry.name)));
  }
  return files;
}

/** uPlot's browser build, resolved from node_modules; its version goes into the URL so it can be cached for a year. */
function uPlotAssets(): { version: string; files: Map<string, Buffer> } {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('uplot/package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  const dist = join(dirname(packageJson), 'dist');
  return {
    version,
    files: new Map([
      ['uPlot.iife.min.js', readFileSync(join(dist, 'uPlot.iife.min.js'))],
      ['uPlot.min.css', readFileSync(join(dist, 'uPlot.min.css'))],
    ]),
  };
}

/**
 * `/dashboard`: the customer-success dashboard, static files only. The page signs in with the
 * project's secret key and reads everything through the query API (`/v1/…`); this plugin serves
 * no data. Own files are revalidated on every load (`no-cache`); uPlot is served from a versioned
 * path with a one-year immutable cache.
 */
export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  const publicDir = join(import.meta.dirname, 'public');
  const uPlot = uPlotAssets();
  const vendorPrefix = `vendor/uplot-${uPlot.version}/`;
  const assets = new Map<string, Asset>();
  for (const [path, body] of readTree(publicDir)) {
    const text = path === 'index.html' ? Buffer.from(body.toString('utf8').replaceAll('{{UPLOT}}', `/dashboard/${vendorPrefix}`)) : body;
    assets.set(path, { body: text, contentType: CONTENT_TYPES[extname(path)]!, cacheControl: 'no-cache' });
  }
  // The figure definitions the page computes with, served from domain/ itself (never a copy).
  for (const name of DOMAIN_FILES) {
    assets.set(`figures/${name}`, { body: readFileSync(join(import.meta.dirname, '../domain', name)), contentType: CONTENT_TYPES['.js']!, cacheControl: 'no-cache' });
  }
  for (const [name, body] of uPlot.files) {
    assets.set(vendorPrefix + name, { body, contentType: CONTENT_TYPES[extname(name)]!, cacheControl: 'public, max-age=31536000, immutable' });
  }

  const send = (reply: FastifyReply, asset: Asset) =>
    reply
      .header('content-type', asset.contentType)
      .header('cache-control', asset.cacheControl)
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .send(asset.body);

  app.get('/dashboard', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/dashboard/', 302));
  app.get('/dashboard/', { schema: { hide: true } }, async (_request, reply) => send(reply, assets.get('index.html')!));
  app.get<{ Params: { '*': string } }>('/dashboard/*', { schema: { hide: true } }, async (request, reply) => {
    const asset = assets.get(request.params['*']);
    if (!asset) return reply.status(404).send({ error: 'not_found', message: `no dashboard file ${request.params['*']}` });
    return send(reply, asset);
  });
};

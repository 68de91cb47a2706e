import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { pickDemoUser, readDemoKeys, type DemoUser } from './demo-user.ts';

export type ExampleRoutesOptions = {
  db: Kysely<Database>;
  /** Where `uptake start` keeps demo-project.json; the pages exist only for that demo project. */
  keysDir: string;
  /** The repository root (examples/ and packages/browser/dist/ are read from there). */
  repoDir?: string;
};

/**
 * The example pages' security policy: scripts from this origin (and the snippet's inline scripts,
 * by nonce), styles from this origin plus the `<style>` the widgets put into their shadow roots,
 * events and widget answers to this origin only.
 */
const examplePolicy = (nonce?: string) =>
  [
    "default-src 'none'",
    `script-src 'self'${nonce ? ` 'nonce-${nonce}'` : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const SDK_FILES = new Set(['uptake.min.js', 'uptake-nps.min.js', 'uptake-progress.min.js', 'sri.json']);

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON safe inside a `<script>` element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const INDEX = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Uptake examples</title></head>
<body style="font:16px/1.6 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>Uptake browser examples</h1>
<ul><li><a href="/examples/script-tag/">Script tag</a>: the snippet, <code>uptake.nps()</code> and <code>uptake.progress()</code> (examples/script-tag)</li>
<li><a href="/examples/bundler-app/">Bundler app</a>: <code>import { … } from '@uptake/browser'</code>, bundled with Vite (examples/bundler-app)</li>
<li><a href="/examples/react/">React app</a>: <code>&lt;UptakeProvider&gt;</code>, <code>useTrack</code> and the widgets as components from <code>@uptake/react</code> (examples/react)</li></ul>
<p>All sign you in as a demo user of the demo project. See docs/examples.md.</p></body></html>`;

/**
 * `/examples/…`: the runnable browser examples of `./uptake start`, for the local demo only.
 * A page is rendered for a user of the demo project (the one in `<keysDir>/demo-project.json`, no
 * other project) with the user's `userHash` computed here from the identity secret, as a
 * product's backend would; the secret never reaches the page. Also serves the built script-tag
 * SDK (`/examples/sdk/uptake*.min.js`, `sri.json`) from packages/browser/dist/. Files are read
 * on each request (`no-cache`), so a rebuild shows at the next reload.
 */
export const exampleRoutes: FastifyPluginAsync<ExampleRoutesOptions> = async (app, options) => {
  const repo = options.repoDir ?? join(import.meta.dirname, '../../../..');
  const scriptTagDir = join(repo, 'examples/script-tag');
  const sdkDist = join(repo, 'packages/browser/dist');

  const send = (reply: FastifyReply, status: number, contentType: string, body: string | Buffer, nonce?: string) =>
    reply
      .status(status)
      .header('content-type', contentType)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', examplePolicy(nonce))
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .send(body);
  const problem = (reply: FastifyReply, status: number, title: string, text: string) =>
    send(reply, status, CONTENT_TYPES['.html']!, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font:16px/1.6 system-ui,sans-serif;max-width:40rem;margin:3rem auto"><h1>${escapeHtml(title)}</h1><p>${text}</p></body></html>`);
  const file = (reply: FastifyReply, path: string) => {
    if (!existsSync(path)) return reply.status(404).send({ error: 'not_found', message: `no example file ${path.slice(repo.length + 1)}` });
    return send(reply, 200, CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', readFileSync(path));
  };
  const notBuilt = (reply: FastifyReply, what: string, command: string) =>
    problem(reply, 503, `${what} is not built`, `Run <code>${escapeHtml(command)}</code> (or restart with <code>./uptake start</code>, which builds it), then reload.`);

  /** The demo user for this request, or an answer saying why there is none. */
  const demoUser = async (request: FastifyRequest<{ Querystring: { user?: string } }>, reply: FastifyReply): Promise<DemoUser | null> => {
    const keys = readDemoKeys(options.keysDir);
    if (!keys) {
      await problem(reply, 503, 'No demo project', 'The examples run against the demo project of <code>./uptake start</code>; this service has none in its data dir.');
      return null;
    }
    const requested = typeof request.query.user === 'string' && request.query.user !== '' ? request.query.user : undefined;
    const user = await pickDemoUser(options.db, keys, requested);
    if (!user) await problem(reply, 503, 'No demo users yet', 'The demo data is still loading; reload in a few seconds.');
    return user;
  };
  const hostOf = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  const page = { schema: { hide: true } };
  app.get('/examples', page, async (_request, reply) => reply.redirect('/examples/', 302));
  app.get('/examples/', page, async (_request, reply) => send(reply, 200, CONTENT_TYPES['.html']!, INDEX));

  app.get<{ Params: { file: string } }>('/examples/sdk/:file', page, async (request, reply) => {
    if (!SDK_FILES.has(request.params.file)) return reply.status(404).send({ error: 'not_found', message: `no SDK file ${request.params.file}` });
    if (!existsSync(join(sdkDist, request.params.file))) return notBuilt(reply, 'The browser SDK', 'pnpm --filter @uptake/browser build');
    return file(reply, join(sdkDist, request.params.file));
  });

  app.get('/examples/script-tag', page, async (_request, reply) => reply.redirect('/examples/script-tag/', 302));
  app.get<{ Querystring: { user?: string } }>('/examples/script-tag/', page, async (request, reply) => {
    const sriPath = join(sdkDist, 'sri.json');
    if (!existsSync(sriPath)) return notBuilt(reply, 'The browser SDK', 'pnpm --filter @uptake/browser build');
    const user = await demoUser(request, reply);
    if (!user) return reply;
    const sri = JSON.parse(readFileSync(sriPath, 'utf8')) as Record<string, string>;
    const nonce = randomBytes(16).toString('base64');
    const { writeKey, ...rendered } = user;
    const values: Record<string, string> = {
      NONCE: nonce,
      SDK_URL: '/examples/sdk/uptake.min.js',
      SRI: sri['uptake.min.js'] ?? '',
      WRITE_KEY: escapeHtml(writeKey),
      HOST: escapeHtml(hostOf(request)),
      USER_JSON: scriptJson(rendered),
      USER_NAME: escapeHtml(user.name),
      ACCOUNT_NAME: escapeHtml(user.accountName),
    };
    const html = readFileSync(join(scriptTagDir, 'index.html'), 'utf8').replace(/\{\{(\w+)\}\}/g, (match, key: string) => values[key] ?? match);
    return send(reply, 200, CONTENT_TYPES['.html']!, html, nonce);
  });
  app.get<{ Params: { file: string } }>('/examples/script-tag/:file', page, async (request, reply) => {
    if (!['app.js', 'app.css'].includes(request.params.file)) return reply.status(404).send({ error: 'not_found', message: `no example file ${request.params.file}` });
    return file(reply, join(scriptTagDir, request.params.file));
  });

  /**
   * An example built with Vite (its `dist/`): the index rendered for the demo user, its assets, and
   * the index again for the client-side routes in `routes` (so a reload there works).
   */
  const viteApp = (name: string, routes: string[]) => {
    const dist = join(repo, 'examples', name, 'dist');
    const index = async (request: FastifyRequest<{ Querystring: { user?: string } }>, reply: FastifyReply) => {
      const indexPath = join(dist, 'index.html');
      if (!existsSync(indexPath)) return notBuilt(reply, `The ${name} example`, `pnpm --dir examples/${name} build`);
      const user = await demoUser(request, reply);
      if (!user) return reply;
      const html = readFileSync(indexPath, 'utf8').replace('__UPTAKE_DEMO_USER__', () => scriptJson({ ...user, host: hostOf(request) }));
      return send(reply, 200, CONTENT_TYPES['.html']!, html);
    };
    app.get(`/examples/${name}`, page, async (_request, reply) => reply.redirect(`/examples/${name}/`, 302));
    app.get<{ Querystring: { user?: string } }>(`/examples/${name}/`, page, index);
    for (const route of routes) app.get<{ Querystring: { user?: string } }>(`/examples/${name}/${route}`, page, index);
    app.get<{ Params: { file: string } }>(`/examples/${name}/assets/:file`, page, async (request, reply) => {
      if (!/^[\w.-]+$/.test(request.params.file) || !CONTENT_TYPES[extname(request.params.file)]) return reply.status(404).send({ error: 'not_found', message: `no example file ${request.params.file}` });
      return file(reply, join(dist, 'assets', request.params.file));
    });
  };
  viteApp('bundler-app', []);
  viteApp('react', ['feedback']);
};

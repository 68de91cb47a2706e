/**
 * A webhook receiver: verifies each delivery's signature with `verifyWebhook` from
 * @uptake/client and prints the plays as they arrive (an account entering a segment, an NPS
 * answer). A real one would post to Slack or update the CRM; here it prints.
 *
 *   UPTAKE_WEBHOOK_SECRET=whsec_… PORT=8787 node receiver.ts
 *
 * With `--register` (and the project's secret key, UPTAKE_SECRET_KEY or the demo project's) it
 * first makes the endpoint pointing at itself and uses the secret it is given. The service must
 * allow a receiver on 127.0.0.1: start it with UPTAKE_WEBHOOK_ALLOW_PRIVATE=1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createUptakeClient, verifyWebhook, WebhookVerificationError, type WebhookPayload } from '@uptake/client';

const host = process.env['UPTAKE_HOST'] ?? 'http://127.0.0.1:4000';
const port = Number(process.env['PORT'] ?? 8787);

function demoSecretKey(): string | undefined {
  for (const candidate of ['../../.uptake/demo-project.json', '../../services/api/.uptake/demo-project.json']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { secretKey?: string }).secretKey;
  }
  return undefined;
}

/** One line per play, from the payload's data. */
function describe({ type, data }: WebhookPayload): string {
  const who = String(data['accountName'] ?? data['accountId'] ?? data['userId'] ?? 'someone');
  switch (type) {
    case 'segment.entered':
    case 'segment.exited': {
      const segment = data['segment'] as { key: string; name: string };
      const verb = type === 'segment.entered' ? 'entered' : 'left';
      // An entry into a built-in segment carries its play: the facts in words and what to do.
      return `${who} ${verb} ${segment.name}${data['play'] ? ` — ${String(data['play'])}` : ''}`;
    }
    case 'nps.response':
      return `NPS ${String(data['score'])} (${String(data['category'])}) from ${String(data['userId'])}${data['accountId'] ? ` at ${String(data['accountId'])}` : ''}${data['comment'] ? `: "${String(data['comment'])}"` : ''}`;
    default:
      return `${type}: ${JSON.stringify(data)}`;
  }
}

async function main(): Promise<void> {
  let secret = process.env['UPTAKE_WEBHOOK_SECRET'];
  // Receivers see a delivery at least once: a retry carries the same webhook-id.
  const seen = new Set<string>();

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    try {
      // The raw body, exactly as received: the signature covers these bytes.
      const payload = await verifyWebhook(secret!, request.headers, Buffer.concat(chunks));
      const id = String(request.headers['webhook-id']);
      if (!seen.has(id)) {
        seen.add(id);
        process.stdout.write(`${payload.timestamp}  ${describe(payload)}  [${id}]\n`);
      }
      response.writeHead(204).end();
    } catch (error) {
      process.stderr.write(`refused a delivery: ${error instanceof WebhookVerificationError ? error.message : String(error)}\n`);
      response.writeHead(error instanceof WebhookVerificationError ? 401 : 400).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/uptake`;

  if (process.argv.includes('--register')) {
    const secretKey = process.env['UPTAKE_SECRET_KEY'] ?? demoSecretKey();
    if (!secretKey) throw new Error('--register needs UPTAKE_SECRET_KEY (or `./uptake start` for the demo project)');
    const created = await createUptakeClient({ host, secretKey }).createWebhook({ url, events: ['segment.entered', 'segment.exited', 'nps.response'], description: 'examples/backend-plays receiver' });
    secret = created.secret;
    process.stdout.write(`registered webhook ${created.id}\n`);
  }
  if (!secret) throw new Error('set UPTAKE_WEBHOOK_SECRET (the endpoint secret, whsec_…) or pass --register');
  process.stdout.write(`receiving on ${url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

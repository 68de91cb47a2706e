/**
 * Sends generated events through the real ingestion route (`POST /v1/batch` via `app.inject`).
 *
 * Timestamps: the service corrects clock skew as `ts = receivedAt − (sentAt − timestamp)`. Each
 * batch carries `sentAt` = the time it is sent, so a past timestamp is stored as itself plus the
 * milliseconds between building the request and receiving it. The generator puts every event on a
 * whole minute and never later than `asOf` 23:59, so that shift never changes an event's UTC day,
 * and the oracle depends on days only. Pass the generator an `asOf` of yesterday (UTC) or earlier:
 * a timestamp later than the receive time would be clamped to it.
 */
import type { FastifyInstance } from 'fastify';
import type { BatchResponse } from '@uptake/protocol';
import { createRandom } from './generate-data.ts';
import type { OracleEvent } from './oracle.ts';
import { basicAuth } from './test-app.ts';

export type IngestOptions = {
  /** Events per request (≤ 500). */
  batchSize?: number;
  /** Seed of the order the batches are sent in. */
  seed?: number;
};

export type IngestResult = { batches: number; accepted: number; duplicates: number };

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

async function sendBatch(app: FastifyInstance, writeKey: string, batch: readonly OracleEvent[]): Promise<BatchResponse> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
    payload: { sentAt: new Date().toISOString(), batch },
  });
  if (response.statusCode !== 200) {
    throw new Error(`POST /v1/batch answered ${response.statusCode}: ${response.body.slice(0, 2000)}`);
  }
  const body = response.json<BatchResponse>();
  if (body.rejected.length > 0) {
    throw new Error(`POST /v1/batch rejected ${body.rejected.length} event(s): ${JSON.stringify(body.rejected.slice(0, 5))}`);
  }
  return body;
}

/**
 * Posts `events` in batches of `batchSize`, the batches in a seeded shuffled order, and checks
 * that every answer is 200 with nothing rejected (throws otherwise). `accepted + duplicates`
 * equals the number of events sent.
 *
 * @example
 * const data = generateDataset({ seed: 7, asOf: yesterday });
 * const result = await ingestEvents(t.app, t.project.writeKey, data.events);
 */
export async function ingestEvents(
  app: FastifyInstance,
  writeKey: string,
  events: readonly OracleEvent[],
  options: IngestOptions = {},
): Promise<IngestResult> {
  const random = createRandom(options.seed ?? 1);
  const batches = random.shuffle(chunks(events, options.batchSize ?? 200));
  const result: IngestResult = { batches: batches.length, accepted: 0, duplicates: 0 };
  for (const batch of batches) {
    const answer = await sendBatch(app, writeKey, batch);
    result.accepted += answer.accepted;
    result.duplicates += answer.duplicates;
  }
  return result;
}

/**
 * Posts several projects' events with their batches interleaved (project A, B, A, B …, each
 * project's batches in a seeded shuffled order), for isolation tests. One result per project.
 *
 * @example
 * const pair = generateProjectPair({ seed: 3, asOf: yesterday });
 * await ingestProjects(t.app, [{ writeKey: a.writeKey, events: pair.first.events }, { writeKey: b.writeKey, events: pair.second.events }]);
 */
export async function ingestProjects(
  app: FastifyInstance,
  projects: readonly { writeKey: string; events: readonly OracleEvent[] }[],
  options: IngestOptions = {},
): Promise<IngestResult[]> {
  const random = createRandom(options.seed ?? 1);
  const queues = projects.map((project) => random.shuffle(chunks(project.events, options.batchSize ?? 200)));
  const results: IngestResult[] = queues.map((queue) => ({ batches: queue.length, accepted: 0, duplicates: 0 }));
  for (let round = 0; queues.some((queue) => round < queue.length); round++) {
    for (const [index, queue] of queues.entries()) {
      const batch = queue[round];
      if (!batch) continue;
      const answer = await sendBatch(app, projects[index]!.writeKey, batch);
      results[index]!.accepted += answer.accepted;
      results[index]!.duplicates += answer.duplicates;
    }
  }
  return results;
}

import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ChangeTracker } from '../derived/change-tracker.ts';
import { prepareBatch } from '../ingestion/prepare-batch.ts';
import { storeBatches } from '../ingestion/store-batch.ts';
import { rebuildKeptFigures } from '../derived/rebuild.ts';
import { createScoreModel, listScoreModels } from '../query/score-models.queries.ts';
import { demoScoreModelFeatures } from './demo-catalogue.ts';
import { generateDemoData, type DemoEvent, type DemoOptions } from './demo-data.ts';
import { ensureDemoProject, updateDemoProjectFile, type DemoDataRecord, type DemoProjectFile } from './demo-project.ts';
import { createProgressLine, type ProgressStream } from './progress.ts';

export type DemoLoadResult = {
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** The score model version the demo created, or null when the project already had one of its own. */
  scoreModelVersion: number | null;
  /** True when the load was stopped (signal) before the end. */
  stopped: boolean;
};

export type DemoLoadOptions = {
  /** Called after every commit with the events handled so far. */
  onProgress?: (done: number, total: number) => void;
  /** Stops between two commits (each commit is whole: a stopped load resumes where it was on the next run). */
  signal?: AbortSignal;
  /** Events per transaction (default 5000). */
  eventsPerCommit?: number;
};

/** The size of one protocol batch (LIMITS: ≤ 500 events). */
const BATCH_EVENTS = 500;

/**
 * Loads demo events through the ingestion path live traffic takes — `prepareBatch` (validation,
 * account resolution, clock rules) then `storeBatches` (events, users, accounts, memberships,
 * the derived tables) — so every figure is computed exactly as for real events. Events that were
 * stored before (same messageId) count as duplicates: loading twice stores nothing twice.
 * Then gives the project the demo score model (version 2, with labels and value texts) unless it
 * already has a model of its own. `changeTracker`: the running app's (its cached figures then
 * recompute), or a new one.
 *
 * @example
 * const { events } = generateDemoData({ days: 90 });
 * const result = await loadDemoEvents(db, app.changeTracker, projectId, events, { onProgress: (done, total) => … });
 */
export async function loadDemoEvents(db: Kysely<Database>, changeTracker: ChangeTracker, projectId: string, events: readonly DemoEvent[], options: DemoLoadOptions = {}): Promise<DemoLoadResult> {
  const perCommit = Math.max(BATCH_EVENTS, options.eventsPerCommit ?? 5000);
  const result: DemoLoadResult = { events: events.length, accepted: 0, duplicates: 0, rejected: 0, scoreModelVersion: null, stopped: false };
  options.onProgress?.(0, events.length);
  for (let start = 0; start < events.length; start += perCommit) {
    // PGlite answers through microtasks only: without a turn of the event loop between commits,
    // nothing else (requests, Ctrl-C) would run until the whole load is done.
    await new Promise((resolve) => setImmediate(resolve));
    if (options.signal?.aborted) {
      result.stopped = true;
      return result;
    }
    const receivedAt = new Date();
    const jobs = [];
    for (let at = start; at < Math.min(events.length, start + perCommit); at += BATCH_EVENTS) {
      // No sentAt: an import of past events keeps their timestamps (clock-skew correction needs both).
      // The operator's own import: its users are who it says (verified memberships open widgets).
      const batch = prepareBatch({ batch: events.slice(at, Math.min(at + BATCH_EVENTS, start + perCommit)) }, receivedAt, { kind: 'trusted' });
      result.rejected += batch.rejected.length;
      jobs.push({ projectId, batch });
    }
    // Announced on either database: once per few thousand events costs nothing, and servers sharing a Postgres see the demo at once.
    for (const stored of await storeBatches(db, jobs, { changeTracker, announceChanges: true })) {
      result.accepted += stored.accepted;
      result.duplicates += stored.duplicates;
    }
    options.onProgress?.(Math.min(events.length, start + perCommit), events.length);
  }
  result.scoreModelVersion = await ensureDemoScoreModel(db, projectId);
  // Fresh planner statistics after a bulk load. Embedded PGlite has no autovacuum daemon: without
  // this, the first segment query plans for empty tables (measured: 82 s instead of 0.9 s).
  if (result.accepted > 0) {
    await sql`analyze`.execute(db);
    // The kept figures (activity, score points) made once from the loaded per-day counts, the
    // days the load queued included (docs/architecture.md, "Scores at scale").
    await db.transaction().execute((trx) => rebuildKeptFigures(trx, projectId));
  }
  return result;
}

export type DemoRun = {
  project: DemoProjectFile & { created: boolean };
  load: DemoLoadResult;
  data: DemoDataRecord;
  seconds: number;
};

/**
 * `uptake demo` and the first `uptake start`: the demo project (made once, keys in
 * `<keysDir>/demo-project.json`), then the demo data for the days up to the project's anchor (its
 * creation) loaded with a progress line, then the record that it is loaded (only when the whole load committed; a stopped load resumes on the next run,
 * the events already stored counting as duplicates).
 *
 * @example
 * const run = await loadDemoProject(store.db, createChangeTracker(), '.uptake', { days: 90, progress: process.stderr });
 */
export async function loadDemoProject(
  db: Kysely<Database>,
  changeTracker: ChangeTracker,
  keysDir: string,
  options: Omit<DemoOptions, 'now'> & { progress?: ProgressStream; signal?: AbortSignal } = {},
): Promise<DemoRun> {
  const started = Date.now();
  const project = await ensureDemoProject(db, keysDir);
  if (!project.demoAnchor) {
    project.demoAnchor = new Date().toISOString();
    updateDemoProjectFile(keysDir, project);
  }
  // Generated for the anchor, not for today: a later run makes the same events (all duplicates).
  const demo = generateDemoData({ ...options, now: new Date(project.demoAnchor) });
  const progress = options.progress ? createProgressLine(options.progress, 'Loading demo data') : undefined;
  let load: DemoLoadResult;
  try {
    load = await loadDemoEvents(db, changeTracker, project.projectId, demo.events, {
      ...(progress ? { onProgress: (done: number, total: number) => progress.update(done, total) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    progress?.finish();
  }
  const data: DemoDataRecord = {
    loadedAt: new Date().toISOString(),
    from: demo.from,
    to: demo.to,
    days: demo.days,
    accounts: demo.accounts.length,
    users: demo.users,
    events: demo.events.length,
  };
  if (!load.stopped) updateDemoProjectFile(keysDir, { ...project, demoData: project.demoData && load.accepted === 0 ? project.demoData : data });
  return { project, load, data, seconds: (Date.now() - started) / 1000 };
}

/** Version 2 of the score model with the demo's weights, labels and value texts, made once. */
async function ensureDemoScoreModel(db: Kysely<Database>, projectId: string): Promise<number | null> {
  const models = await listScoreModels(db, projectId);
  if (models.some((model) => model.version > 1)) return null;
  const model = await createScoreModel(db, projectId, { features: demoScoreModelFeatures(), windowDays: 30, dailyCap: 20, activate: true });
  return model.version;
}

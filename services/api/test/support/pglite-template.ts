import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { citusTestUrl } from './citus-database.ts';
import { PGLITE_DIR_ENV, PGLITE_TEMPLATE } from './pglite-dirs.ts';

/**
 * Vitest's globalSetup: initialises one empty PGlite data dir for the whole run. A new in-memory
 * PGlite runs initdb inside WebAssembly, 2–5 s of CPU each time; a copy of this dir opens in
 * about 0.5 s, and the suite opens a few hundred PGlite databases (test/support/databases.ts
 * copies it). Removed, with every copy left in it, when the run ends.
 */
export async function setup(): Promise<(() => void) | undefined> {
  // On a Citus cluster the route tests run on Postgres only (test/support/databases.ts).
  if (citusTestUrl) return undefined;
  const runDir = mkdtempSync(join(baseDir(), 'uptake-test-pglite-'));
  // The layout openStore gives a data dir (src/db/connect.ts): PGlite's own files under pglite/.
  const dataDir = join(runDir, PGLITE_TEMPLATE, 'pglite');
  mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  await pglite.close();
  process.env[PGLITE_DIR_ENV] = runDir;
  return () => rmSync(runDir, { recursive: true, force: true });
}

/**
 * In memory (/dev/shm) when it has room for many copies (about 40 MB each): on disk, PGlite's
 * page writes sometimes waited seconds on I/O. A container's small /dev/shm falls back to disk.
 */
function baseDir(): string {
  try {
    const shm = statfsSync('/dev/shm');
    if (shm.bavail * shm.bsize > 4 * 1024 ** 3) return '/dev/shm';
  } catch {
    // No /dev/shm on this system.
  }
  return tmpdir();
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export type ServeProcess = { url: string; child: ChildProcess; stop(): Promise<void> };

/**
 * `uptake serve --port 0` as a process of its own (logs at warn, no rate limit), resolved with
 * its URL once it listens; `stop()` sends SIGTERM and waits for the exit.
 *
 * @example
 * const server = await startServeProcess({ DATABASE_URL: url });
 * await fetch(`${server.url}/healthz`);
 * await server.stop();
 */
export async function startServeProcess(env: Record<string, string>, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', UPTAKE_RATE_LIMIT_PER_SECOND: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`uptake serve exited with ${code}: ${output}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, child, stop };
}

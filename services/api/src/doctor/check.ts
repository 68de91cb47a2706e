/** One finding of `uptake doctor`: `fail` must be fixed (exit 1), `warn` should be looked at. */
export type Check = { level: 'ok' | 'warn' | 'fail'; subject: string; message: string; fix?: string };

export const ok = (subject: string, message: string): Check => ({ level: 'ok', subject, message });
export const warn = (subject: string, message: string, fix: string): Check => ({ level: 'warn', subject, message, fix });
export const fail = (subject: string, message: string, fix: string): Check => ({ level: 'fail', subject, message, fix });

/** One line per check: `ok   subject  message`, and for the others `— fix: …` on the same line. */
export function formatChecks(checks: Check[]): string {
  const width = Math.max(...checks.map((check) => check.subject.length));
  return checks.map((check) => `${check.level.padEnd(4)} ${check.subject.padEnd(width)}  ${check.message}${check.fix ? ` — fix: ${check.fix}` : ''}`).join('\n');
}

/** 1 when anything must be fixed; warnings alone pass. */
export function doctorExitCode(checks: Check[]): 0 | 1 {
  return checks.some((check) => check.level === 'fail') ? 1 : 0;
}

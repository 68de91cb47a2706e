import { stringProblem } from '@uptake/protocol';
import { HttpError } from '../http/errors.ts';
import type { Project } from '../projects/projects.queries.ts';

/** Our keys are `wk_`/`sk_` + base64url; any key is at most this long and printable ASCII. */
const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * A key as sent must be printable ASCII before it goes near SQL or a log: a NUL, a control
 * character, a lone surrogate or a megabyte of text is refused here (401, naming the field).
 */
export function checkKeyFormat(field: 'writeKey' | 'secretKey', key: string): string {
  if (!KEY_PATTERN.test(key)) {
    throw new HttpError(401, field === 'writeKey' ? 'invalid_write_key' : 'invalid_secret_key', `${field}: must be 1 to 200 printable ASCII characters, as issued`, {
      path: field,
    });
  }
  return key;
}

/** Origins are echoed in an answer header and compared with the project's list: printable ASCII only. */
const ORIGIN_PATTERN = /^[\x20-\x7e]{1,300}$/;

/**
 * The request's Origin, checked against the project's allowed origins (an empty list allows
 * any). One check for ingestion and widgets.
 */
export function checkOrigin(project: Project, origin: string | undefined): void {
  if (origin === undefined) return;
  if (!ORIGIN_PATTERN.test(origin)) throw new HttpError(400, 'invalid_origin', 'origin: the Origin header must be scheme://host[:port] in printable ASCII', { path: 'origin' });
  if (project.allowedOrigins.length > 0 && !project.allowedOrigins.includes(origin)) {
    throw new HttpError(403, 'origin_not_allowed', `origin ${origin} is not in this project's allowed origins`, { path: 'origin' });
  }
}

/** Whether an Origin header can be echoed back (Access-Control-Allow-Origin) as it is. */
export const isEchoableOrigin = (origin: string | undefined): origin is string => origin !== undefined && ORIGIN_PATTERN.test(origin);

/**
 * A text that reaches SQL from a URL or header: NUL (Postgres refuses it) and lone surrogates
 * (invalid Unicode) → 400 naming the field, as the query schemas word it (`stringProblem`).
 */
export function checkStorableText(field: string, text: string): void {
  const problem = stringProblem(text);
  if (problem) throw new HttpError(400, 'invalid_request', `${field}: ${problem}`, { path: field });
}

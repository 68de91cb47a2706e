import { pino, type Logger } from 'pino';

const REDACTED = '[redacted]';

/** Query parameters whose value is a credential, whatever the route: writeKey, userHash, any *key, *token, *secret … */
const SECRET_PARAMETER = /key|hash|token|secret|password|auth|sig|session|cookie/i;

/** Our keys (`wk_`, `sk_`, `is_` + base64url) and SHA-256 hex strings (userHashes, key hashes). */
const SECRET_TEXT = /\b(wk|sk|is)_[A-Za-z0-9_-]{12,}|\b[0-9a-fA-F]{64}\b/g;

/** A text with every key and hash in it replaced (docs/security.md, "Logs"). */
export function redactText(text: string): string {
  return text.replace(SECRET_TEXT, (match, prefix: string | undefined) => (prefix ? `${prefix}_${REDACTED}` : REDACTED));
}

/** A request URL with credential-like query parameters blanked and any key or hash in the rest redacted. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return redactText(url);
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // A malformed name is logged as sent, but still checked.
      }
      return equals >= 0 && SECRET_PARAMETER.test(decoded) ? `${name}=${REDACTED}` : redactText(pair);
    })
    .join('&');
  return `${redactText(url.slice(0, at))}?${query}`;
}

/** Every string in a serialised value, redacted (error details from the driver can quote a key). */
function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 5) return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item, depth + 1)]));
}

const redactHeaders = (headers: unknown) => {
  if (headers === null || typeof headers !== 'object') return headers;
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key)$/i.test(name) ? REDACTED : redactDeep(value)]),
  );
};

/**
 * The service's logger: a child of the given one whose serialisers redact keys, hashes and
 * tokens in URLs (`url`, `req.url`), headers (Authorization and cookies blanked) and errors
 * (message, stack and driver details), wherever a log call puts them. Log messages themselves
 * are fixed texts in this code base; values go in fields, which these serialisers see.
 *
 * @example
 * const log = redactingLogger(pino());
 * log.info({ url: '/v1/widgets/nps?writeKey=wk_…' }, 'request'); // url: /v1/widgets/nps?writeKey=[redacted]
 */
export function redactingLogger(logger: Logger): Logger {
  return logger.child(
    {},
    {
      serializers: {
        url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
        err: (error: unknown) => redactDeep(error instanceof Error ? pino.stdSerializers.err(error) : error),
        error: (error: unknown) => redactDeep(error instanceof Error ? pino.stdSerializers.err(error) : error),
        headers: redactHeaders,
        req: (req: unknown) => {
          if (req === null || typeof req !== 'object') return req;
          const { method, url, headers } = req as { method?: unknown; url?: unknown; headers?: unknown };
          return { method, url: typeof url === 'string' ? redactUrl(url) : url, ...(headers ? { headers: redactHeaders(headers) } : {}) };
        },
      },
    },
  );
}

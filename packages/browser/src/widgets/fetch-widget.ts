/**
 * Asks a widget route. The write key goes as `?writeKey=` (not a header) so the GET stays a CORS
 * "simple request": no preflight round trip before the widget can appear.
 * Resolves to `undefined` on any failure (network, non-2xx, bad JSON): a widget that cannot ask
 * shows nothing.
 */
export const fetchWidget = async <T>(
  host: string,
  route: 'nps' | 'progress' | 'messages',
  query: Record<string, string | undefined>,
): Promise<T | undefined> => {
  const params = new URLSearchParams();
  for (const key in query) if (query[key]) params.set(key, query[key]!);
  try {
    const response = await fetch(`${host.replace(/\/+$/, '')}/v1/widgets/${route}?${params}`, { credentials: 'omit' });
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    // offline, blocked, CORS: no widget
  }
};

/** The service's routes as its OpenAPI document (`GET /docs/json`) describes them, with their request examples. */

export type Parameter = { in: string; name: string; required?: boolean; example?: unknown };
export type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, { example?: unknown }> } };
export type OpenApi = { paths: Record<string, Record<string, Operation>> };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of the document: its method (lower case), its path (`/v1/users/{userId}`), its description. */
export function operationsOf(spec: OpenApi): Array<{ method: string; path: string; operation: Operation }> {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ method, path, operation })),
  );
}

/** The request a route's examples describe: path parameters filled in, query parameters that have an example. */
export function exampleUrl(path: string, parameters: Parameter[]): string {
  let url = path;
  const query = new URLSearchParams();
  for (const parameter of parameters) {
    if (parameter.example === undefined) continue;
    if (parameter.in === 'path') url = url.replace(`{${parameter.name}}`, encodeURIComponent(String(parameter.example)));
    // Optional paging cursors are opaque: only the service hands them out.
    else if (parameter.in === 'query' && parameter.name !== 'cursor') query.set(parameter.name, String(parameter.example));
  }
  return query.size ? `${url}?${query}` : url;
}

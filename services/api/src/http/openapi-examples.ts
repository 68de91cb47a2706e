/**
 * Request examples for the OpenAPI, made from each route's own schemas (after the zod → JSON
 * Schema step), so every route has one without an example written per route. A schema that names
 * its own is used as it is: `.meta({ examples: [...] })` on the zod schema, or `.meta({ example })`
 * on one that transforms its input (zod keeps a transforming schema's `examples` out of its input
 * JSON Schema, as they would describe the output). Otherwise the value is built from the schema:
 * its default, first enum value or format, or its properties.
 */

type JsonSchema = {
  type?: string | string[];
  format?: string;
  examples?: unknown[];
  example?: unknown;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
};

/** A fixed past day: inside every day range the API accepts (docs/api.md), so the example stays valid. */
export const EXAMPLE_DAY = '2026-11-30';

const FORMAT_EXAMPLES: Record<string, string> = {
  date: EXAMPLE_DAY,
  'date-time': `${EXAMPLE_DAY}T09:30:00.000Z`,
  uuid: '01890f5e-7a1c-7b3e-9c1d-2f4e5a6b7c8d',
  uri: 'https://example.com/hooks/uptake',
  url: 'https://example.com/hooks/uptake',
  email: 'ada@example.com',
};

/** The schema's own example (`examples`, `example`, `default`, `const`, first `enum` value), if it names one. */
function namedExample(schema: JsonSchema): { value: unknown } | undefined {
  if (schema.examples && schema.examples.length > 0) return { value: schema.examples[0] };
  if (schema.example !== undefined) return { value: schema.example };
  if (schema.default !== undefined) return { value: schema.default };
  if (schema.const !== undefined) return { value: schema.const };
  if (schema.enum && schema.enum.length > 0) return { value: schema.enum[0] };
  return undefined;
}

const typesOf = (schema: JsonSchema): string[] => (Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []);

/**
 * An example value for `schema`, or undefined when nothing meaningful can be said (a free text
 * with no example of its own, `{}`). `name` is the property's name, used for free text that is
 * required: `userId` → `"userId"` tells the reader what goes there better than `"string"`.
 */
export function exampleOf(schema: JsonSchema | undefined, name?: string): unknown {
  if (!schema || schema.$ref) return undefined;
  const named = namedExample(schema);
  if (named) return named.value;
  const variants = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (variants) {
    // The first variant that is not null (`nullish()` becomes anyOf [T, null]).
    for (const variant of variants) {
      if (typesOf(variant).includes('null') && typesOf(variant).length === 1) continue;
      const value = exampleOf(variant, name);
      if (value !== undefined) return value;
    }
    return undefined;
  }
  const types = typesOf(schema).filter((type) => type !== 'null');
  const type = types[0];
  if (type === 'object' || (!type && schema.properties)) {
    const required = new Set(schema.required ?? []);
    const value: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      // Optional properties only when they name their own example: the example shows the usual call.
      const example = required.has(key) ? (exampleOf(property, key) ?? placeholder(property, key)) : namedExample(property)?.value;
      if (example !== undefined) value[key] = example;
    }
    return value;
  }
  if (type === 'array') {
    const item = exampleOf(schema.items, name);
    return item === undefined ? [] : [item];
  }
  if (type === 'integer' || type === 'number') {
    if (schema.minimum !== undefined) return schema.minimum;
    if (schema.exclusiveMinimum !== undefined) return schema.exclusiveMinimum + 1;
    return schema.maximum !== undefined && schema.maximum < 1 ? schema.maximum : 1;
  }
  if (type === 'boolean') return true;
  if (type === 'string' && schema.format && FORMAT_EXAMPLES[schema.format]) return FORMAT_EXAMPLES[schema.format];
  return undefined;
}

/** For a required value with no example: its name (a string) or the type's plain value. */
function placeholder(schema: JsonSchema, name: string): unknown {
  const types = typesOf(schema);
  if (types.includes('string') || types.length === 0) return name;
  if (types.includes('integer') || types.includes('number')) return 1;
  if (types.includes('boolean')) return true;
  if (types.includes('array')) return [];
  return {};
}


/** `examples: [example]` in place of `example`: `@fastify/swagger` makes the parameter's and body's example of it. */
function asExamples(schema: JsonSchema, example: unknown): JsonSchema {
  const { example: _example, ...rest } = schema;
  return { ...rest, examples: [example] };
}

/**
 * Adds `examples` to a route's JSON schema (as `@fastify/swagger` reads it): every path parameter
 * and required query parameter, optional ones whose example can be derived (a day, an enum …),
 * and the body. Schemas that already have examples are left alone.
 */
export function addRequestExamples<T extends { params?: unknown; querystring?: unknown; body?: unknown }>(schema: T): T {
  const withParameterExamples = (container: unknown, requireAll: boolean) => {
    const object = container as JsonSchema | undefined;
    if (!object?.properties) return container;
    const required = new Set(requireAll ? Object.keys(object.properties) : (object.required ?? []));
    const properties: Record<string, JsonSchema> = {};
    for (const [key, property] of Object.entries(object.properties)) {
      const example = exampleOf(property, key) ?? (required.has(key) ? placeholder(property, key) : undefined);
      properties[key] = example === undefined || property.examples ? property : asExamples(property, example);
    }
    return { ...object, properties };
  };
  const result: T = { ...schema };
  if (schema.params) result.params = withParameterExamples(schema.params, true);
  if (schema.querystring) result.querystring = withParameterExamples(schema.querystring, false);
  const body = schema.body as JsonSchema | undefined;
  if (body && !body.examples && !body.$ref) {
    const example = exampleOf(body);
    if (example !== undefined) result.body = asExamples(body, example);
  }
  return result;
}

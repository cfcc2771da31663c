// Request and response examples for every operation of the OpenAPI document, written from the
// schemas themselves (a route's own `examples` win): so a new route gets examples without anyone
// writing them, and they cannot drift from what the route validates. A schema this cannot satisfy
// (an unusual pattern) gets no example rather than a wrong one; Redocly's lint checks the rest.
type Schema = Record<string, unknown>;

const candidates = [
  'example', 'CNY', '12.34', '123456', 'a1b2c3d4e5f6', 'cart-42', '+8613800138000', 'ops@tea.example',
  '91310000MA1K00000X', '6222020200112233445', 'https://merchant.example/anfu/webhooks', 'order.paid', 'x',
];
const idTail = '01j9zq3v8k2m4n6p8r0t2v4x6z';

/** What a field's name says its value looks like, tried before the generic candidates. */
const byName: [RegExp, string][] = [
  [/amount|fee|net|balance|refunded/i, '12.34'],
  [/currency/i, 'CNY'],
  [/phone/i, '+8613800138000'],
  [/email/i, 'ops@tea.example'],
  [/url/i, 'https://merchant.example/anfu/webhooks'],
  [/password/i, 'correct horse battery staple'],
  [/name/i, 'Tea House'],
  [/reason|description|note|memo|summary/i, 'Two cups of tea'],
];

function stringExample(schema: Schema, name: string): string | undefined {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  if (schema.format === 'date-time') return '2026-12-02T10:00:00.000Z';
  // The patterns are the routes' own schemas (code, not input), compiled once per document render.
  // eslint-disable-next-line security/detect-non-literal-regexp
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined;
  const prefix = typeof schema.pattern === 'string' ? /^\^([a-z]{2,8})_\[0-9a-z\]\{26\}\$$/.exec(schema.pattern) : null;
  const named = byName.filter(([test]) => test.test(name)).map(([, text]) => text);
  const tries = prefix === null ? [...named, ...candidates] : [`${prefix[1]}_${idTail}`];
  return tries.find((text) => text.length >= min && text.length <= max && (pattern?.test(text) ?? true));
}

const unknown = Symbol('no example');
type Example = unknown;

function objectExample(schema: Schema, depth: number): Example {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (!required.has(name)) continue;
    const value = exampleOf(property, depth + 1, name);
    if (value === unknown) return unknown;
    out[name] = value;
  }
  return out;
}

function typedExample(schema: Schema, type: unknown, depth: number, name: string): Example {
  switch (type) {
    case 'string':
      return stringExample(schema, name) ?? unknown;
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array': {
      const item = exampleOf((schema.items ?? {}) as Schema, depth + 1);
      if (item === unknown) return unknown;
      return Array.from({ length: Math.max(1, Number(schema.minItems ?? 1)) }, () => item);
    }
    case 'object':
      return objectExample(schema, depth);
    default:
      return unknown;
  }
}

export function exampleOf(schema: Schema, depth = 0, name = ''): Example {
  if (depth > 8) return unknown;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (!Array.isArray(branches)) continue;
    for (const branch of branches as Schema[]) {
      const value = exampleOf(branch, depth + 1, name);
      if (value !== unknown && value !== null) return value;
    }
    return unknown;
  }
  const type = Array.isArray(schema.type) ? (schema.type as unknown[]).find((t) => t !== 'null') : schema.type;
  if (type === undefined && schema.properties !== undefined) return objectExample(schema, depth);
  return typedExample(schema, type, depth, name);
}

interface Media {
  schema?: Schema;
  example?: unknown;
  examples?: unknown;
}

/** Gives a media object an example from its schema unless it has one (or the schema cannot be satisfied). */
export function withExample(media: Media): void {
  if (media.example !== undefined || media.examples !== undefined || media.schema === undefined) return;
  if ('$ref' in media.schema || 'allOf' in media.schema) return;
  const value = exampleOf(media.schema);
  if (value !== unknown) media.example = value;
}

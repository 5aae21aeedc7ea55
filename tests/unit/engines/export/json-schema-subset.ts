// A validator for the part of JSON Schema 2020-12 that document.v1.schema.json uses. It refuses schemas with
// any other keyword, so the schema cannot quietly rely on something this validator ignores.

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', '$id', '$defs', 'title', 'description', '$comment', 'format']);
const ASSERTIONS = new Set([
  '$ref', 'type', 'properties', 'required', 'additionalProperties', 'items', 'prefixItems', 'minItems', 'maxItems',
  'enum', 'const', 'minimum', 'maximum', 'exclusiveMinimum', 'pattern',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
    const target = m ? (root.$defs as Record<string, Schema> | undefined)?.[m[1]!] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${ref}`);
    return target;
  };

  const check = (schema: Schema, v: unknown, path: string): void => {
    for (const key of Object.keys(schema)) {
      if (!ANNOTATIONS.has(key) && !ASSERTIONS.has(key)) throw new Error(`unsupported keyword ${key} at ${path}`);
    }
    if (typeof schema.$ref === 'string') check(resolve(schema.$ref), v, path);
    if ('const' in schema && !deepEqual(schema.const, v)) errors.push(`${path}: must be ${JSON.stringify(schema.const)}`);
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => deepEqual(e, v))) errors.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
    if (typeof schema.type === 'string') {
      const t = typeOf(v);
      const ok = schema.type === t || (schema.type === 'integer' && typeof v === 'number' && Number.isInteger(v));
      if (!ok) {
        errors.push(`${path}: expected ${schema.type}, got ${t}`);
        return;
      }
    }
    if (typeof v === 'number') {
      if (typeof schema.minimum === 'number' && v < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && v > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
      if (typeof schema.exclusiveMinimum === 'number' && v <= schema.exclusiveMinimum) errors.push(`${path}: not above ${schema.exclusiveMinimum}`);
    }
    if (typeof v === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v)) {
      errors.push(`${path}: does not match ${schema.pattern}`);
    }
    if (Array.isArray(v)) {
      if (typeof schema.minItems === 'number' && v.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
      if (typeof schema.maxItems === 'number' && v.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
      const prefix = (schema.prefixItems as Schema[] | undefined) ?? [];
      v.forEach((item, i) => {
        if (i < prefix.length) check(prefix[i]!, item, `${path}[${i}]`);
        else if (schema.items && typeof schema.items === 'object') check(schema.items as Schema, item, `${path}[${i}]`);
      });
    }
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>;
      const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
      for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in obj)) errors.push(`${path}: missing ${r}`);
      for (const [k, item] of Object.entries(obj)) {
        if (props[k]) check(props[k]!, item, `${path}.${k}`);
        else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${k}`);
      }
    }
  };
  check(root, value, '$');
  return errors;
}

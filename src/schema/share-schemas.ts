/**
 * Shares the OpenAPI document's repeated schemas through `components.schemas`.
 *
 * The route schemas come from each validator and `describe()`, so the same
 * shape (a credential's view, the arena list, a platform enum) is written
 * out once per route that answers it. This pass finds every schema object of
 * at least MIN_SHARED_CHARS characters that occurs more than once (compared
 * by content, keys in any order), stores it once under a name derived from its
 * content, and puts a local `$ref` in each place. A shared schema's own
 * repeated parts are shared too. The document stays equivalent: replacing each
 * `$ref` by its target gives back the schemas as they were built.
 */
type Json = Record<string, unknown>;

/** Smaller repeated schemas cost less than the `$ref` and the name that would replace them. */
const MIN_SHARED_CHARS = 200;

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Json;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A stable name from the content (FNV-1a, 32 bits, hex): the same schema gets the same name on every build. */
function nameOf(text: string, taken: Set<string>): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  const base = `Shared${h.toString(16).padStart(8, '0')}`;
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
  taken.add(name);
  return name;
}

/** Where a JSON Schema holds schemas: one schema under these keys, */
const ONE_SCHEMA = new Set(['items', 'additionalProperties', 'unevaluatedProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else']);
/** a list of schemas under these, */
const SCHEMA_LIST = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);
/** and a map of names to schemas under these (the map itself is no schema: it is never shared). */
const SCHEMA_MAP = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas']);

/** Calls `visit` on `schema` and every schema inside it (never on enum, const, required or default values). */
function eachSubschema(schema: unknown, visit: (o: Json) => void): void {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return;
  const o = schema as Json;
  visit(o);
  for (const [k, v] of Object.entries(o)) {
    if (ONE_SCHEMA.has(k)) eachSubschema(v, visit);
    else if (SCHEMA_LIST.has(k) && Array.isArray(v)) for (const x of v) eachSubschema(x, visit);
    else if (SCHEMA_MAP.has(k) && v && typeof v === 'object') for (const x of Object.values(v as Json)) eachSubschema(x, visit);
  }
}

/** Calls `visit` on every schema of the document part `root`: the values of its `schema` keys, and their subschemas. */
function eachSchemaObject(root: unknown, visit: (o: Json) => void): void {
  if (Array.isArray(root)) {
    for (const v of root) eachSchemaObject(v, visit);
    return;
  }
  if (!root || typeof root !== 'object') return;
  for (const [k, v] of Object.entries(root as Json)) {
    if (k === 'schema') eachSubschema(v, visit);
    else eachSchemaObject(v, visit);
  }
}

/** `schema` with its shared subschemas replaced by `$ref`s; `keepRoot` leaves `schema` itself in place (a component's body). */
function shareIn(schema: unknown, refs: Map<string, string>, keepRoot: boolean): unknown {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  if (!keepRoot) {
    const ref = refs.get(canonical(schema));
    if (ref) return { $ref: `#/components/schemas/${ref}` };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) {
    if (ONE_SCHEMA.has(k)) out[k] = shareIn(v, refs, false);
    else if (SCHEMA_LIST.has(k) && Array.isArray(v)) out[k] = v.map((x) => shareIn(x, refs, false));
    else if (SCHEMA_MAP.has(k) && v && typeof v === 'object')
      out[k] = Object.fromEntries(Object.entries(v as Json).map(([name, x]) => [name, shareIn(x, refs, false)]));
    else out[k] = v;
  }
  return out;
}

/** The document part `root` with the shared schemas below its `schema` keys replaced by `$ref`s. */
function replaceShared(root: unknown, refs: Map<string, string>): unknown {
  if (Array.isArray(root)) return root.map((v) => replaceShared(v, refs));
  if (!root || typeof root !== 'object') return root;
  const out: Json = {};
  for (const [k, v] of Object.entries(root as Json)) out[k] = k === 'schema' ? shareIn(v, refs, false) : replaceShared(v, refs);
  return out;
}

/**
 * `parts` are the document's parts that hold schemas (paths, refused routes,
 * responses); answers them with shared schemas replaced by `$ref`s, and the
 * schemas to add to `components.schemas`.
 */
export function shareSchemas<T extends Record<string, unknown>>(parts: T): { parts: T; schemas: Record<string, unknown> } {
  const counts = new Map<string, { count: number; value: Json }>();
  eachSchemaObject(parts, (o) => {
    const text = canonical(o);
    if (text.length < MIN_SHARED_CHARS) return;
    const seen = counts.get(text);
    if (seen) seen.count++;
    else counts.set(text, { count: 1, value: o });
  });
  const taken = new Set<string>();
  const refs = new Map<string, string>();
  const shared = [...counts].filter(([, c]) => c.count > 1).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [text] of shared) refs.set(text, nameOf(text, taken));
  const schemas: Record<string, unknown> = {};
  for (const [text, c] of shared) schemas[refs.get(text)!] = shareIn(c.value, refs, true);
  return { parts: replaceShared(parts, refs) as T, schemas };
}

/**
 * The event schema registry: every JSON schema under schema/events/, compiled once,
 * looked up by the `$schema` each event carries (Wikimedia Event Platform style).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats';
import draft07MetaSchema from 'ajv/dist/refs/json-schema-draft-07.json';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoPath } from '../platform/paths';
import { isDateTime } from './date-time-format';

export type Validation = { ok: true } | { ok: false; reason: string };

export interface EventSchemas {
  /**
   * Validates an event against the schema its own `$schema` names; `expectedTitle`
   * (e.g. 'mediawiki/page/change') must match that schema's title. Unknown $schema
   * → ok:false with a clear reason.
   */
  validate(event: unknown, expectedTitle: string): Validation;
  /** $ids held, e.g. ['/mediawiki/page/change/1.2.0', ...] */
  ids(): string[];
}

/** Errors listed in a reason before the rest are counted; enough to fix an event, short enough for a header. */
const MAX_REASONS = 5;

function listJsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listJsonFiles(full);
      return entry.isFile() && entry.name.endsWith('.json') ? [full] : [];
    });
}

/**
 * The schemas are materialized: every `$ref` is already inlined, and each inlined
 * fragment keeps its own `$id`. The same fragment appears several times in one
 * schema (page, created_redirect_page, ...), which Ajv rejects as one id naming two
 * schemas, so nested ids are dropped; nothing refers to them.
 */
function withoutNestedIds(node: unknown, isRoot = true): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutNestedIds(n, false));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (!isRoot && (k === '$id' || k === '$schema') && typeof v === 'string') continue;
    out[k] = withoutNestedIds(v, false);
  }
  return out;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || '(event)';
  let what = `${where} ${error.message ?? 'is invalid'}`;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') what += ` (${String(params.additionalProperty)})`;
  if (error.keyword === 'enum')
    what += ` (${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
  return what;
}

function reasonFrom(errors: ErrorObject[]): string {
  const lines = errors.slice(0, MAX_REASONS).map(describe);
  if (errors.length > MAX_REASONS) lines.push(`and ${errors.length - MAX_REASONS} more`);
  return lines.join('; ');
}

interface Compiled {
  title: string;
  validate: ValidateFunction;
}

export function loadEventSchemas(dir: string = repoPath('schema', 'events')): EventSchemas {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // The same answers as ajv-formats' date-time, at a fraction of the cost (see the module).
  ajv.addFormat('date-time', {
    type: 'string',
    validate: isDateTime,
    compare: (fullFormats['date-time'] as { compare: (a: string, b: string) => number | undefined }).compare,
  });
  // Wikimedia's schemas name the draft-07 meta-schema by its https URI; Ajv knows it as http.
  ajv.addMetaSchema({ ...draft07MetaSchema, $id: 'https://json-schema.org/draft-07/schema#' });

  const byId = new Map<string, Compiled>();
  for (const file of listJsonFiles(dir)) {
    let schema: Record<string, unknown>;
    try {
      schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`event schema ${file} is not valid JSON: ${(err as Error).message}`);
    }
    const id = schema.$id;
    const title = schema.title;
    if (typeof id !== 'string' || typeof title !== 'string') {
      throw new Error(`event schema ${file} needs a string $id and title`);
    }
    if (byId.has(id)) throw new Error(`event schema $id ${id} is declared twice (${file})`);
    try {
      byId.set(id, { title, validate: ajv.compile(withoutNestedIds(schema) as object) });
    } catch (err) {
      throw new Error(`event schema ${file} does not compile: ${(err as Error).message}`);
    }
  }

  return {
    ids: () => [...byId.keys()].sort(),
    validate(event: unknown, expectedTitle: string): Validation {
      if (event === null || typeof event !== 'object' || Array.isArray(event)) {
        return { ok: false, reason: 'event is not a JSON object' };
      }
      const schemaUri = (event as Record<string, unknown>).$schema;
      if (typeof schemaUri !== 'string') return { ok: false, reason: 'event has no $schema string' };
      const compiled = byId.get(schemaUri);
      if (!compiled) {
        return { ok: false, reason: `unknown $schema ${JSON.stringify(schemaUri)}: not in schema/events/` };
      }
      if (compiled.title !== expectedTitle) {
        return {
          ok: false,
          reason: `$schema ${schemaUri} is a ${compiled.title} schema, this stream carries ${expectedTitle}`,
        };
      }
      if (compiled.validate(event)) return { ok: true };
      return { ok: false, reason: reasonFrom(compiled.validate.errors ?? []) };
    },
  };
}

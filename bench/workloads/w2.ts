/**
 * W2, sdp's own products: the cross-product page query on the platform's
 * subgraphs (every product under subgraphs/, embedded stores, demo data).
 *
 * Products land over time, so the query is built from the supergraph at run
 * time: the `pages` part is fixed, and every field another product adds to
 * `Page`, `Revision` or `User` (page views, edit stats, an editor's block, …) is
 * selected too, down to its scalar leaves. Fields that need arguments the
 * benchmark cannot know (anything but a day range) are left out and listed in
 * the results.
 */
import { readFileSync } from 'node:fs';
import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  isUnionType,
  Kind,
  parse,
  print,
  validate,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { repoPath } from '../../platform/paths';
import { compareGateways, type Comparison } from '../lib/compare';
import type { BenchContext } from '../lib/context';
import { withGraph } from '../lib/graph';
import { apiSchema } from '../lib/supergraph';

/** Types whose other-product fields W2 adds; they are also never recursed into. */
const CROSS_PRODUCT_TYPES = ['Page', 'Revision', 'User'] as const;
/** How deep an added field's selection may go below the field itself. */
const MAX_DEPTH = 2;

/** Field names per type that the pages product itself declares (schema/pages.graphql). */
function pagesFields(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const def of parse(readFileSync(repoPath('schema', 'pages.graphql'), 'utf8')).definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const set = out.get(def.name.value) ?? new Set<string>();
    for (const f of def.fields ?? []) set.add(f.name.value);
    out.set(def.name.value, set);
  }
  return out;
}

/**
 * Arguments for a field's required arguments, or undefined when some cannot be
 * known. The platform's time series (AQS-style `pageviews`, `editStats`) take a
 * required `start`/`end` day range as `YYYYMMDD`: they get the last 30 days (UTC),
 * which covers the demo data, stamped with the wall clock. Optional arguments
 * keep their defaults.
 */
function requiredArguments(field: GraphQLField<unknown, unknown>, now: Date): string | undefined {
  const day = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');
  const range: Record<string, string> = {
    start: day(new Date(now.getTime() - 30 * 86_400_000)),
    end: day(now),
  };
  const parts: string[] = [];
  for (const arg of field.args) {
    if (!isNonNullType(arg.type) || arg.defaultValue !== undefined) continue;
    const value = range[arg.name];
    if (value === undefined || getNamedType(arg.type).name !== 'String') return undefined;
    parts.push(`${arg.name}: "${value}"`);
  }
  return parts.length > 0 ? `(${parts.join(', ')})` : '';
}

class SelectionBuilder {
  readonly added: string[] = [];
  readonly skipped: string[] = [];
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly now: Date,
  ) {}

  /** The selection for `field` (name, arguments, sub-selection), or '' when it cannot be selected. */
  field(owner: string, field: GraphQLField<unknown, unknown>, depth: number): string {
    const where = `${owner}.${field.name}`;
    const args = requiredArguments(field, this.now);
    if (args === undefined) {
      this.skipped.push(`${where} (required arguments other than a start/end day range)`);
      return '';
    }
    const type = getNamedType(field.type);
    if (isLeafType(type)) return `${field.name}${args}`;
    if ((CROSS_PRODUCT_TYPES as readonly string[]).includes(type.name) && depth > 0) return '';
    const sub = this.composite(type, depth + 1);
    if (sub === '') {
      this.skipped.push(`${where} (nothing selectable within depth ${MAX_DEPTH})`);
      return '';
    }
    return `${field.name}${args} { ${sub} }`;
  }

  private composite(type: GraphQLNamedType, depth: number): string {
    if (!isCompositeType(type) || depth > MAX_DEPTH) return '';
    if (isUnionType(type)) return '__typename';
    const fields = Object.values((isObjectType(type) || isInterfaceType(type) ? type : null)!.getFields());
    const parts = fields
      .filter((f) => !(CROSS_PRODUCT_TYPES as readonly string[]).includes(getNamedType(f.type).name))
      .map((f) => this.field(type.name, f, depth))
      .filter(Boolean);
    return parts.join(' ');
  }

  /** Selections for every field of `typeName` that the pages product does not declare. */
  extras(typeName: string, own: Set<string> | undefined): string {
    const type = this.schema.getType(typeName);
    if (!type || !isObjectType(type)) return '';
    const parts: string[] = [];
    for (const field of Object.values(type.getFields())) {
      if (own?.has(field.name)) continue;
      const selection = this.field(typeName, field, 0);
      if (selection) {
        parts.push(selection);
        this.added.push(`${typeName}.${field.name}`);
      }
    }
    return parts.join(' ');
  }
}

export interface W2Query {
  query: string;
  /** Fields other products contribute that the query selects. */
  added: string[];
  skipped: string[];
}

export function buildW2Query(supergraphSdl: string, now = new Date()): W2Query {
  const schema = apiSchema(supergraphSdl);
  const own = pagesFields();
  const builder = new SelectionBuilder(schema, now);
  const user = builder.extras('User', own.get('User'));
  const revision = builder.extras('Revision', own.get('Revision'));
  const page = builder.extras('Page', own.get('Page'));
  const query = `query W2CrossProduct {
  pages(wikiId: "enwiki", first: 20) {
    edges {
      node {
        pageId
        title
        namespace
        isRedirect
        redirectTarget { pageId title }
        latestRevision {
          revId
          timestamp
          sizeBytes
          isMinorEdit
          comment
          editor { name ${user} }
          ${revision}
        }
        revisions(first: 5) {
          edges { node { revId timestamp sizeBytes editor { name ${user} } } }
        }
        ${page}
      }
    }
  }
}
`;
  const document = parse(query);
  const errors = validate(schema, document);
  if (errors.length > 0) {
    throw new Error(`W2: the generated query does not validate: ${errors.map((e) => e.message).join('; ')}`);
  }
  return { query: print(document), added: builder.added, skipped: builder.skipped };
}

export async function runW2(ctx: BenchContext): Promise<(Comparison & { w2: Omit<W2Query, 'query'> })[]> {
  return withGraph(ctx, 'platform-subgraphs', async ({ supergraphFile, gateways, access }) => {
    const w2 = buildW2Query(readFileSync(supergraphFile, 'utf8'));
    ctx.log(
      `W2: cross-product fields: ${w2.added.join(', ') || 'none yet (pages only)'}` +
        (w2.skipped.length > 0 ? `; left out: ${w2.skipped.join(', ')}` : ''),
    );
    const comparison = await compareGateways(gateways, {
      name: 'W2 products',
      description: `20 enwiki pages with latest revision, 5 revisions, editors${w2.added.length > 0 ? ` and ${w2.added.join(', ')}` : ''}`,
      query: w2.query,
      // Editors' names and blocks are protected: sdp is asked with a key holding every
      // scope, so both gateways serve the same answer (stock enforces nothing).
      headers: { sdp: access.headers },
      settings: ctx.settings,
      log: ctx.log,
    });
    return [{ ...comparison, w2: { added: w2.added, skipped: w2.skipped } }];
  });
}

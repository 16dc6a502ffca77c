/**
 * Demand control's pieces on their own: the static measures of a document,
 * the cost estimator on the platform's composed supergraph, the token buckets,
 * the trusted-documents manifest, and the defaults against every query the
 * README, GraphiQL and the W1 benchmark show users.
 */
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { getOperationAST, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { DEFAULT_TIER_LIMITS } from '../../config/env';
import { W1_QUERY } from '../../bench/w1';
import { decide, MemoryBudgetStore } from '../../gateway/demand-control/budgets';
import { exceededLimit } from '../../gateway/demand-control/ceiling-rule';
import { CostCalculator, costDirectivesOf } from '../../gateway/demand-control/cost';
import { documentMetrics } from '../../gateway/demand-control/document-metrics';
import { loadTrustedDocuments } from '../../gateway/demand-control/trusted-documents';
import { plannerRefusal } from '../../gateway/execution/fast-gateway';
import { plannableSupergraph } from '../../gateway/policy/requirements';
import { repoPath } from '../../platform/paths';
import { loadProducts } from '../../platform/products';

const supergraphSdl = readFileSync(repoPath('schema/supergraph.graphql'), 'utf8');
// The planner's view of it, as the gateway builds it (gateway/policy/requirements.ts).
const schema = Supergraph.build(plannableSupergraph(supergraphSdl)).apiSchema().toGraphQLJSSchema();
const calculator = new CostCalculator(schema, costDirectivesOf(supergraphSdl));

function operationOf(
  query: string,
  name?: string,
): { document: DocumentNode; operation: OperationDefinitionNode } {
  const document = parse(query);
  const operation = getOperationAST(document, name);
  if (!operation) throw new Error('no operation');
  return { document, operation };
}
const metrics = (query: string) => {
  const { document, operation } = operationOf(query);
  return documentMetrics(document, operation);
};
const estimate = (query: string, variables?: Record<string, unknown>) => {
  const { document, operation } = operationOf(query);
  return calculator.estimate(document, operation, variables);
};

describe('document metrics', () => {
  it('measures depth, aliases, root fields, tokens, directives and fields through fragments', () => {
    expect(
      metrics(`query Q($skip: Boolean!) {
        a: page(wikiId: "enwiki", pageId: "1") { ...P }
        b: page(wikiId: "enwiki", pageId: "2") @skip(if: $skip) { title }
        __typename
      }
      fragment P on Page { title latestRevision { revId page { t: title } } }`),
    ).toEqual({ depth: 4, aliases: 3, rootFields: 3, tokens: 66, directives: 1, fields: 9 });
  });

  it('counts tokens as the parser does for maxTokens (comments left out)', () => {
    const query = '{ page(wikiId: "enwiki", pageId: "1") { title } } # a comment\n';
    const counted = metrics(query).tokens;
    expect(counted).toBe(14);
    expect(() => parse(query, { maxTokens: counted })).not.toThrow();
    expect(() => parse(query, { maxTokens: counted - 1 })).toThrow(/more that 13 tokens/);
  });

  it('measures a fragment bomb by arithmetic, not by expanding it', () => {
    const fragments = ['fragment F0 on Page { pageId title }'];
    for (let i = 1; i < 40; i++) fragments.push(`fragment F${i} on Page { ...F${i - 1} ...F${i - 1} }`);
    const started = performance.now();
    const m = metrics(`{ page(wikiId: "enwiki", pageId: "1") { ...F39 } }\n${fragments.join('\n')}`);
    expect(m.fields).toBe(1 + 2 * 2 ** 39);
    expect(m.depth).toBe(2);
    // Linear in the text: far below what 2^40 fields would take (no timing target, a sanity bound).
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('counts a fragment cycle (invalid, refused by validation anyway) as unbounded instead of recursing', () => {
    const m = metrics(
      '{ page(wikiId: "x", pageId: "1") { ...A } } fragment A on Page { ...B } fragment B on Page { ...A }',
    );
    expect(m.fields).toBe(Infinity);
    expect(exceededLimit(m, DEFAULT_TIER_LIMITS.keyed, 'keyed callers')?.code).toBe('MAX_DEPTH_EXCEEDED');
  });

  it('names the first limit exceeded, with the value and the limit', () => {
    const deep = `{ page(wikiId: "x", pageId: "1") { ${'latestRevision { page { '.repeat(10)}title${' } }'.repeat(10)} } }`;
    expect(exceededLimit(metrics(deep), DEFAULT_TIER_LIMITS.anonymous, 'anonymous callers')).toEqual({
      code: 'MAX_DEPTH_EXCEEDED',
      value: 22,
      limit: 12,
      message: 'The operation has 22 levels of nested fields; the limit for anonymous callers is 12.',
    });
    expect(exceededLimit(metrics(deep), DEFAULT_TIER_LIMITS.keyed, 'keyed callers')).toMatchObject({
      code: 'MAX_DEPTH_EXCEEDED',
    });
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    expect(exceededLimit(metrics(aliases), DEFAULT_TIER_LIMITS.anonymous, 'x')?.code).toBe(
      'MAX_ALIASES_EXCEEDED',
    );
    expect(exceededLimit(metrics(aliases), DEFAULT_TIER_LIMITS.keyed, 'x')).toBeUndefined();
    const roots = `{ ${'__typename '.repeat(11)}}`;
    expect(exceededLimit(metrics(roots), DEFAULT_TIER_LIMITS.anonymous, 'x')?.code).toBe(
      'MAX_ROOT_FIELDS_EXCEEDED',
    );
    const directives = `{ __typename${' @include(if: true)'.repeat(31)} }`;
    expect(exceededLimit(metrics(directives), DEFAULT_TIER_LIMITS.anonymous, 'x')?.code).toBe(
      'MAX_DIRECTIVES_EXCEEDED',
    );
  });
});

describe('cost analysis on the composed supergraph', () => {
  it('reads @cost and @listSize as composition put them into the supergraph', () => {
    const directives = costDirectivesOf(supergraphSdl);
    expect(directives.weights.get('Query.topPages')).toBe(5);
    expect(directives.listSizes.get('Query.pages')).toEqual({
      slicingArguments: ['first'],
      sizedFields: ['edges'],
    });
    expect(directives.listSizes.get('Page.pageviews')).toEqual({ assumedSize: 31 });
  });

  it('sizes a connection by its slicing argument (or its default), through sizedFields', () => {
    // 5 edges × (edge 1 + node 1) + the connection 1.
    expect(estimate('{ pages(wikiId: "enwiki", first: 5) { edges { node { title } } } }')).toBe(11);
    // The default `first: 20`.
    expect(estimate('{ pages(wikiId: "enwiki") { edges { node { title } } } }')).toBe(41);
    // Variables count as given.
    expect(
      estimate('query ($n: Int) { pages(wikiId: "enwiki", first: $n) { edges { node { title } } } }', {
        n: 50,
      }),
    ).toBe(101);
    // A negative size counts as none; the product refuses it anyway.
    expect(estimate('{ pages(wikiId: "enwiki", first: -5) { edges { node { title } } } }')).toBe(1);
  });

  it('multiplies nested lists and weighs fields with work behind them', () => {
    // topPages: 5 × (weight 5 + page 1 + pageviews: 31 × 1 + weight 5 → 5 + 31... per the formula).
    const cost = estimate(
      '{ topPages(wikiId: "enwiki", date: "20260115", first: 5) { page { pageviews(start: "20260101", end: "20260107") { views } } } }',
    );
    // Each of 5 items: topPages weight 5 + page (1) + pageviews 31 × (weight 5) = 5 + 1 + 155.
    expect(cost).toBe(5 * (5 + 1 + 31 * 5));
  });

  it('counts the costliest of fragments on different types, and each named fragment once per use', () => {
    const single = estimate(
      '{ page(wikiId: "x", pageId: "1") { ...F } } fragment F on Page { latestRevision { revId } }',
    );
    const twice = estimate(
      '{ a: page(wikiId: "x", pageId: "1") { ...F } b: page(wikiId: "x", pageId: "2") { ...F } } fragment F on Page { latestRevision { revId } }',
    );
    expect(twice).toBe(2 * single);
  });

  it('measures the actual cost of an answer with the real list lengths', () => {
    const { document, operation } = operationOf(
      '{ pages(wikiId: "enwiki", first: 5) { edges { node { title } } } }',
    );
    const data = { pages: { edges: [{ node: { title: 'A' } }, { node: { title: 'B' } }] } };
    expect(calculator.actual(document, operation, undefined, data)).toBe(1 + 2 * 2);
  });
});

describe('defaults', () => {
  /** Every GraphQL block of the README, every product's GraphiQL example and the W1 benchmark query. */
  async function legitimateQueries(): Promise<[string, string][]> {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const fromReadme = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m, i): [string, string] => [
      `README #${i + 1}`,
      m[1] as string,
    ]);
    const products = await loadProducts();
    return [...fromReadme, ...products.map((p): [string, string] => [p.name, p.exampleQuery])];
  }

  it('let every README query and GraphiQL example through as an anonymous caller, well within each limit', async () => {
    const queries = await legitimateQueries();
    expect(queries.length).toBeGreaterThanOrEqual(9);
    for (const [, query] of queries) {
      const document = parse(query);
      for (const definition of document.definitions) {
        if (definition.kind !== 'OperationDefinition') continue;
        const m = documentMetrics(document, definition);
        expect(exceededLimit(m, DEFAULT_TIER_LIMITS.anonymous, 'anonymous')).toBeUndefined();
        // Room for a user's own variations: at most half of each of these limits.
        expect(m.fields).toBeLessThanOrEqual(DEFAULT_TIER_LIMITS.anonymous.fields / 2);
        expect(m.tokens).toBeLessThanOrEqual(DEFAULT_TIER_LIMITS.anonymous.tokens / 2);
        expect(m.depth).toBeLessThan(DEFAULT_TIER_LIMITS.anonymous.depth);
        expect(calculator.estimate(document, definition, {})).toBeLessThanOrEqual(
          DEFAULT_TIER_LIMITS.anonymous.cost / 2,
        );
      }
    }
  });

  it('let the W1 benchmark query through the static limits', () => {
    const document = parse(W1_QUERY);
    const operation = getOperationAST(document, 'W1') as OperationDefinitionNode;
    expect(
      exceededLimit(documentMetrics(document, operation), DEFAULT_TIER_LIMITS.anonymous, 'x'),
    ).toBeUndefined();
  });

  it('give keyed principals higher limits than anonymous callers', () => {
    for (const [name, value] of Object.entries(DEFAULT_TIER_LIMITS.anonymous)) {
      expect(
        DEFAULT_TIER_LIMITS.keyed[name as keyof typeof value & keyof typeof DEFAULT_TIER_LIMITS.keyed],
      ).toBeGreaterThan(value);
    }
  });
});

describe('budgets in memory', () => {
  it('takes cost from a bucket, refuses what is not there, and refills at the rate', async () => {
    let now = 0;
    const store = new MemoryBudgetStore(() => now);
    const policy = { costPerSecond: 100, burst: 1_000 };
    expect(await store.take('a', 900, policy)).toMatchObject({ allowed: true, remaining: 100 });
    // Refused: nothing is taken, and the wait is what the refill needs.
    expect(await store.take('a', 300, policy)).toEqual({
      allowed: false,
      remaining: 100,
      retryAfterS: 2,
      resetS: 9,
    });
    expect(await store.take('b', 300, policy)).toMatchObject({ allowed: true, remaining: 700 });
    now += 2_000;
    expect(await store.take('a', 300, policy)).toMatchObject({ allowed: true, remaining: 0 });
    now += 60_000;
    expect(await store.take('a', 0, policy)).toMatchObject({ remaining: 1_000 });
  });

  it('never waits longer than a full bucket takes, even for a cost above the burst', () => {
    expect(decide(0, 5_000, { costPerSecond: 100, burst: 1_000 }).retryAfterS).toBe(10);
  });

  it('forgets the least recently seen callers beyond its bound', async () => {
    const store = new MemoryBudgetStore(() => 0, 2);
    const policy = { costPerSecond: 1, burst: 10 };
    await store.take('a', 10, policy);
    await store.take('b', 10, policy);
    await store.take('c', 10, policy);
    // `a` was dropped: a fresh, full bucket.
    expect((await store.take('a', 10, policy)).allowed).toBe(true);
  });
});

describe('trusted documents manifest', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sdp-trusted-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads an Apollo persisted-query manifest and answers ids through the persisted-query cache', async () => {
    const file = path.join(dir, 'manifest.json');
    writeFileSync(
      file,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: 'abc', name: 'Q', type: 'query', body: 'query Q { __typename }' }],
      }),
    );
    const trusted = loadTrustedDocuments(file);
    expect(trusted.trusts('query Q { __typename }')).toBe(true);
    expect(trusted.trusts('query Q {  __typename }')).toBe(false);
    const cache = trusted.asPersistedQueryCache();
    expect(await cache.get('apq:abc')).toBe('query Q { __typename }');
    await cache.set('apq:new', '{ __typename }');
    expect(await cache.get('apq:new')).toBeUndefined();
  });

  it.each([
    ['{ "operations": [] }', /not an Apollo persisted-query manifest/],
    [
      '{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id": "" }] }',
      /operations\[0\]/,
    ],
    ['not json', /cannot read the manifest/],
  ])('refuses a bad manifest %s naming the variable', (text, message) => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, text);
    expect(() => loadTrustedDocuments(file)).toThrow(/SDP_TRUSTED_DOCUMENTS=/);
    expect(() => loadTrustedDocuments(file)).toThrow(message);
  });
});

describe('query planner safety limits', () => {
  it('are a client error, other planning failures are not', () => {
    expect(plannerRefusal(new Error('Number of non-local selections exceeds limit of 100000'))).toBe(
      'The query is too complex to plan: Number of non-local selections exceeds limit of 100000.',
    );
    expect(plannerRefusal(new Error('Exceeded maximum recursive selections in this operation'))).toMatch(
      /too complex to plan/,
    );
    expect(plannerRefusal(new Error('Cannot read properties of undefined'))).toBeUndefined();
    expect(plannerRefusal('not an error')).toBeUndefined();
  });
});

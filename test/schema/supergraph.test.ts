import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kind, parse, print, visit, type ConstDirectiveNode, type DefinitionNode } from 'graphql';
import { repoPath } from '../../platform/paths';
import { defaultRoutingUrls } from '../../platform/products';
import {
  composeCommand,
  composeSupergraph,
  findUndocumented,
  problemsOf,
  SUPERGRAPH_FILE,
  type CommandIO,
} from '../../schema/compose';

const schemaDir = repoPath('schema');

/** Every product SDL of the repository, copied into `dir`: composition needs one per product. */
async function copyProductSdls(dir: string): Promise<void> {
  for (const file of await readdir(schemaDir)) {
    if (file.endsWith('.graphql') && file !== SUPERGRAPH_FILE) {
      await copyFile(path.join(schemaDir, file), path.join(dir, file));
    }
  }
}

function capture(): CommandIO & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (line) => lines.push(line), err: (line) => lines.push(line) };
}

const FEDERATION =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

describe('the committed schema', () => {
  it('composes without errors, unaccepted hints or undocumented elements', async () => {
    const result = await composeSupergraph({ schemaDir });
    expect(problemsOf(result)).toEqual([]);
    expect(result.supergraphSdl).toContain('@join__graph(name: "pages"');
  });

  it('has a committed supergraph that matches the product SDLs', async () => {
    const result = await composeSupergraph({ schemaDir });
    const committed = await readFile(path.join(schemaDir, SUPERGRAPH_FILE), 'utf8');
    if (committed !== result.supergraphSdl) {
      throw new Error(`schema/${SUPERGRAPH_FILE} is stale: run npm run compose`);
    }
  });

  it.each(['pages.graphql', 'users.graphql'])(
    'documents every type, field, argument and enum value of %s',
    async (file) => {
      const sdl = await readFile(path.join(schemaDir, file), 'utf8');
      expect(findUndocumented(sdl, `schema/${file}`)).toEqual([]);
    },
  );
});

/**
 * Every schema element that holds or reveals personal data, with its class.
 * Adding personal data to the schema means adding it here too; the test fails
 * both when a marking is lost (a product SDL dropped it, or composition did)
 * and when one appears that nobody listed.
 */
const PERSONAL_DATA: Record<string, string> = {
  // A user name is an IP address for anonymous editors, and may be hidden by suppression.
  'User.name': 'PII',
  'Query.user(name:)': 'PII',
  // Block reasons on IP users describe the person behind the address.
  'Block.reason': 'PII',
};

function sensitivityOf(directives: readonly ConstDirectiveNode[] | undefined): string | undefined {
  const directive = directives?.find((d) => d.name.value === 'sensitive');
  const value = directive?.arguments?.find((a) => a.name.value === 'class')?.value;
  if (directive && value?.kind !== Kind.ENUM) throw new Error('@sensitive without an enum class');
  return value?.kind === Kind.ENUM ? value.value : undefined;
}

/** `coordinate → class` of every field and argument carrying `@sensitive` in an SDL. */
function sensitiveElements(sdl: string): Record<string, string> {
  const found: Record<string, string> = {};
  visit(parse(sdl), {
    ObjectTypeDefinition(type) {
      for (const field of type.fields ?? []) {
        const coordinate = `${type.name.value}.${field.name.value}`;
        const fieldClass = sensitivityOf(field.directives);
        if (fieldClass) found[coordinate] = fieldClass;
        for (const arg of field.arguments ?? []) {
          const argClass = sensitivityOf(arg.directives);
          if (argClass) found[`${coordinate}(${arg.name.value}:)`] = argClass;
        }
      }
    },
  });
  return found;
}

/** The printed definitions of the sensitivity spec in one SDL (directive and enum), in order. */
function sensitivitySpec(sdl: string): string[] {
  const isSpec = (d: DefinitionNode) =>
    (d.kind === Kind.DIRECTIVE_DEFINITION && d.name.value === 'sensitive') ||
    (d.kind === Kind.ENUM_TYPE_DEFINITION && d.name.value === 'SensitivityClass');
  return parse(sdl)
    .definitions.filter(isSpec)
    .map((d) => print(d));
}

describe('personal data in the schema', () => {
  it('the composed supergraph carries the classification of every personal-data field and argument', async () => {
    const supergraph = await readFile(path.join(schemaDir, SUPERGRAPH_FILE), 'utf8');
    expect(sensitiveElements(supergraph)).toEqual(PERSONAL_DATA);
    // Defined there too, so tools reading the supergraph alone can interpret it.
    expect(sensitivitySpec(supergraph)).toHaveLength(2);
  });

  it('each product SDL defines the sensitivity spec identically and exports it to the supergraph', async () => {
    const files = (await readdir(schemaDir)).filter((f) => f.endsWith('.graphql') && f !== SUPERGRAPH_FILE);
    const reference = sensitivitySpec(await readFile(path.join(schemaDir, 'users.graphql'), 'utf8'));
    expect(reference).toHaveLength(2);
    for (const file of files) {
      const sdl = await readFile(path.join(schemaDir, file), 'utf8');
      if (Object.keys(sensitiveElements(sdl)).length === 0) continue;
      expect({ file, spec: sensitivitySpec(sdl) }).toEqual({ file, spec: reference });
      expect({ file, exported: sdl.includes('@composeDirective(name: "@sensitive")') }).toEqual({
        file,
        exported: true,
      });
    }
  });

  it('a marking a product SDL drops is missing from what composition produces', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sdp-sensitive-'));
    try {
      await copyProductSdls(dir);
      const users = await readFile(path.join(dir, 'users.graphql'), 'utf8');
      const unmarked = users.replace('reason: String @sensitive(class: PII)', 'reason: String');
      expect(unmarked).not.toBe(users);
      await writeFile(path.join(dir, 'users.graphql'), unmarked);
      const result = await composeSupergraph({ schemaDir: dir });
      expect(problemsOf(result)).toEqual([]);
      const { ['Block.reason']: _dropped, ...rest } = PERSONAL_DATA;
      expect(sensitiveElements(result.supergraphSdl!)).toEqual(rest);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('findUndocumented', () => {
  it('reports each undocumented element with its position and coordinate', () => {
    const sdl = `${FEDERATION}
type Query {
  "Documented."
  thing(id: ID!, "Documented." kind: Kind): Thing
}

type Thing @key(fields: "id") {
  "Documented."
  id: ID!
  name: String
}

"Documented."
enum Kind {
  "Documented."
  A
  B
}

"Documented."
input Filter {
  limit: Int
}

extend type Other {
  extra: Int
}

scalar Blob

directive @audit(level: Int) on FIELD_DEFINITION
`;
    expect(findUndocumented(sdl, 'x.graphql')).toEqual([
      'x.graphql:4:9: argument Query.thing(id:) has no description',
      'x.graphql:7:6: type Thing has no description',
      'x.graphql:10:3: field Thing.name has no description',
      'x.graphql:17:3: enum value Kind.B has no description',
      'x.graphql:22:3: input field Filter.limit has no description',
      'x.graphql:26:3: field Other.extra has no description',
      'x.graphql:29:8: scalar Blob has no description',
      'x.graphql:31:12: directive @audit has no description',
      'x.graphql:31:18: argument @audit(level:) has no description',
    ]);
  });

  it('treats a blank description as missing and skips federation definitions', () => {
    const sdl = `type Query { "  " q: Int }
scalar _Any
scalar FieldSet
scalar federation__Scope
directive @key(fields: FieldSet!) repeatable on OBJECT`;
    expect(findUndocumented(parse(sdl), 's')).toEqual(['s:1:19: field Query.q has no description']);
  });
});

describe('composeSupergraph and sdp compose', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sdp-compose-'));
    await copyProductSdls(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the supergraph, then --check passes until an SDL changes', async () => {
    const io = capture();
    expect(await composeCommand(['--schema-dir', dir], io)).toBe(0);
    const written = await readFile(path.join(dir, SUPERGRAPH_FILE), 'utf8');
    expect(written).toMatch(/^# Generated by `npm run compose`/);
    expect(written).toContain('type Page');
    expect(await composeCommand(['--check', '--schema-dir', dir], capture())).toBe(0);

    const sdl = await readFile(path.join(dir, 'pages.graphql'), 'utf8');
    await writeFile(
      path.join(dir, 'pages.graphql'),
      sdl.replace('"True when the page is a redirect."', '"Redirect?"'),
    );
    const check = capture();
    expect(await composeCommand(['--check', '--schema-dir', dir], check)).toBe(1);
    expect(check.lines.join('\n')).toContain('is stale: run npm run compose');
    // --check never writes.
    expect(await readFile(path.join(dir, SUPERGRAPH_FILE), 'utf8')).toBe(written);
  });

  it('fails, without writing, on an undocumented field', async () => {
    const sdl = await readFile(path.join(dir, 'pages.graphql'), 'utf8');
    await writeFile(
      path.join(dir, 'pages.graphql'),
      sdl.replace('"True when the page is a redirect."\n', ''),
    );
    const io = capture();
    expect(await composeCommand(['--schema-dir', dir], io)).toBe(1);
    expect(io.lines.join('\n')).toMatch(/pages\.graphql:\d+:\d+: field Page\.isRedirect has no description/);
    await expect(readFile(path.join(dir, SUPERGRAPH_FILE))).rejects.toThrow(/ENOENT/);
  });

  it('takes routing URLs from the products, on the default subgraph ports', async () => {
    const result = await composeSupergraph({ schemaDir: dir });
    expect(result.supergraphSdl).toContain(
      '@join__graph(name: "pages", url: "http://localhost:4001/graphql")',
    );
  });

  it('requires the products and the SDLs to name the same subgraphs', async () => {
    await writeFile(path.join(dir, 'extra.graphql'), `${FEDERATION}\ntype Query { "Extra." extra: Int }`);
    const routingUrls = { ...defaultRoutingUrls(), ghost: 'http://x/graphql' };
    const problems = problemsOf(await composeSupergraph({ schemaDir: dir, routingUrls }));
    expect(problems).toEqual([
      expect.stringMatching(
        /extra\.graphql belongs to no product: there is no subgraphs\/extra\/product\.ts/,
      ),
      expect.stringMatching(/product "ghost" has no SDL: .*ghost\.graphql is missing/),
    ]);
  });

  it('fails on a composition hint unless accepted-hints.json accepts it, and on stale acceptances', async () => {
    // Two subgraphs describing one shared type differently: INCONSISTENT_DESCRIPTION.
    await writeFile(
      path.join(dir, 'extra.graphql'),
      `${FEDERATION}
type Query { "Extra." extra: PageInfo }
"Pagination state."
type PageInfo @shareable {
  "More?" hasNextPage: Boolean!
  "Less?" hasPreviousPage: Boolean!
  "Start." startCursor: String
  "End." endCursor: String
}`,
    );
    const routingUrls = { ...defaultRoutingUrls(), extra: 'http://localhost:4999/graphql' };
    const unaccepted = await composeSupergraph({ schemaDir: dir, routingUrls });
    expect(unaccepted.errors).toEqual([]);
    expect(problemsOf(unaccepted)).toContainEqual(
      expect.stringMatching(/^unaccepted hint INCONSISTENT_DESCRIPTION at PageInfo: /),
    );

    const acceptance = { code: 'INCONSISTENT_DESCRIPTION', coordinate: 'PageInfo', reason: 'test' };
    const stale = { code: 'INCONSISTENT_DESCRIPTION', coordinate: 'Nothing', reason: 'no longer happens' };
    await writeFile(path.join(dir, 'accepted-hints.json'), JSON.stringify([acceptance, stale]));
    const accepted = await composeSupergraph({ schemaDir: dir, routingUrls });
    expect(accepted.hints.find((h) => h.coordinate === 'PageInfo')?.accepted).toBe(true);
    expect(accepted.staleAcceptedHints).toEqual([stale]);

    await writeFile(path.join(dir, 'accepted-hints.json'), JSON.stringify([acceptance]));
    const clean = await composeSupergraph({ schemaDir: dir, routingUrls });
    // PageInfo.* field descriptions differ too; each is its own hint, and only PageInfo is accepted.
    expect(
      problemsOf(clean).every((p) => p.startsWith('unaccepted hint INCONSISTENT_DESCRIPTION at PageInfo.')),
    ).toBe(true);
  });

  it('rejects an acceptance without a reason or without a coordinate or message', async () => {
    await writeFile(
      path.join(dir, 'accepted-hints.json'),
      JSON.stringify([
        { code: 'INCONSISTENT_DESCRIPTION', coordinate: 'X' },
        { code: 'X', reason: 'blanket' },
      ]),
    );
    const problems = problemsOf(await composeSupergraph({ schemaDir: dir }));
    expect(problems).toEqual([
      expect.stringMatching(/accepted-hints\.json\[0\]: needs "code", "reason"/),
      expect.stringMatching(/accepted-hints\.json\[1\]: needs "code", "reason"/),
    ]);
  });

  it('reports composition errors', async () => {
    await writeFile(
      path.join(dir, 'extra.graphql'),
      `${FEDERATION}\ntype Query { "Extra." extra: Int }\n"Clash."\ntype PageInfo { "Clash." hasNextPage: Int }`,
    );
    const routingUrls = { ...defaultRoutingUrls(), extra: 'http://b/graphql' };
    const result = await composeSupergraph({ schemaDir: dir, routingUrls });
    expect(result.supergraphSdl).toBeUndefined();
    expect(result.errors.some((e) => e.startsWith('composition: '))).toBe(true);
  });
});

/**
 * `sdp gateway --supergraph <file>`: the sdp gateway over a supergraph it did
 * not compose itself. Two real subgraph servers (a `books` product owning the
 * `Book` entity and a `shelves` product referencing it) are composed here with
 * their real URLs into a file the command serves; queries cross both. Bad files
 * and bad command lines are refused with one clear line and exit code 2.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import pino from 'pino';
import { gatewayCommand } from '../../cli/gateway';
import { main } from '../../cli/sdp';
import { NO_STORE, sdlProduct } from '../harness/product';
import { startSubgraphServer, type RunningSubgraph } from '../../platform/subgraph-server';
import { pollUntil } from '../harness/wait';

const FEDERATION = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

const BOOKS_SDL = `${FEDERATION}
"A book."
type Book @key(fields: "id") {
  "Book id."
  id: ID!
  "Title."
  title: String!
}
`;

const SHELVES_SDL = `${FEDERATION}
type Query {
  "The one shelf."
  shelf: Shelf!
}

"A shelf of books."
type Shelf {
  "Shelf name."
  name: String!
  "The books on it, resolved by the books subgraph."
  books: [Book!]!
}

"A book, as shelves reference it."
type Book @key(fields: "id", resolvable: false) {
  "Book id."
  id: ID!
}
`;

const TITLES: Record<string, string> = { b1: 'Dune', b2: 'Emma' };

/** A Writable that keeps what was written, for asserting on the command's output. */
function capture(): Writable & { text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return Object.assign(stream, { text: () => text });
}

async function post(url: string, query: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, json: (await response.json()) as { data?: unknown; errors?: unknown } };
}

const SUBGRAPH_SECRET = 'cli-gateway-test-subgraph-secret-32b';
let ENV: Record<string, string>;

let dir: string;
let subgraphs: RunningSubgraph[];
let supergraphFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sdp-cli-gateway-'));
  await writeFile(path.join(dir, 'books.graphql'), BOOKS_SDL);
  await writeFile(path.join(dir, 'shelves.graphql'), SHELVES_SDL);
  const silent = pino({ level: 'silent' });
  // Separate deployments share the subgraph secret through SDP_SUBGRAPH_SECRET.
  ENV = {
    SDP_LOG_LEVEL: 'silent',
    SDP_SUBGRAPH_SECRET: SUBGRAPH_SECRET,
    SDP_DATA_DIR: path.join(dir, 'data'),
  };
  const options = { port: 0, host: '127.0.0.1', logger: silent, secret: SUBGRAPH_SECRET };
  const books = await startSubgraphServer(
    sdlProduct('books', path.join(dir, 'books.graphql'), {
      Book: { __resolveReference: ({ id }: { id: string }) => ({ id, title: TITLES[id] }) },
    }),
    NO_STORE,
    options,
  );
  const shelves = await startSubgraphServer(
    sdlProduct('shelves', path.join(dir, 'shelves.graphql'), {
      Query: { shelf: () => ({ name: 'Fiction', books: [{ id: 'b1' }, { id: 'b2' }] }) },
    }),
    NO_STORE,
    options,
  );
  subgraphs = [books, shelves];
  const composed = composeServices([
    { name: 'books', typeDefs: parse(BOOKS_SDL), url: books.url },
    { name: 'shelves', typeDefs: parse(SHELVES_SDL), url: shelves.url },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  supergraphFile = path.join(dir, 'supergraph.graphql');
  await writeFile(supergraphFile, composed.supergraphSdl);
});

afterAll(async () => {
  await Promise.all(subgraphs.map((s) => s.stop()));
  await rm(dir, { recursive: true, force: true });
});

test('serves the supergraph on /graphql and /health, routing to its subgraphs, until SIGTERM', async () => {
  const stdout = capture();
  const stderr = capture();
  const signalListeners = process.listenerCount('SIGTERM') + process.listenerCount('SIGINT');
  const exit = gatewayCommand(['--supergraph', supergraphFile, '--port', '0'], ENV, { stdout, stderr });
  let settled = false;
  void exit.finally(() => (settled = true));

  const url = await pollUntil(
    () => /GraphQL\s+(http\S+)/.exec(stdout.text())?.[1],
    (found) => found !== undefined || settled,
  );
  expect(stderr.text()).toBe('');
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
  expect(stdout.text()).toMatch(/subgraph\s+books\s+http:\/\/127\.0\.0\.1:\d+\/graphql/);

  const answer = await post(url!, '{ shelf { name books { id title } } }');
  expect(answer).toEqual({
    status: 200,
    json: {
      data: {
        shelf: {
          name: 'Fiction',
          books: [
            { id: 'b1', title: 'Dune' },
            { id: 'b2', title: 'Emma' },
          ],
        },
      },
    },
  });
  const health = await fetch(url!.replace(/\/graphql$/, '/health'));
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });

  // The command's own handler, as `kill <pid>` would reach it.
  process.emit('SIGTERM');
  expect(await exit).toBe(0);
  expect(process.listenerCount('SIGTERM') + process.listenerCount('SIGINT')).toBe(signalListeners);
  await expect(fetch(url!, { method: 'POST' })).rejects.toThrow();
});

describe('refuses, with exit code 2 and one line naming the problem,', () => {
  async function refused(argv: string[]): Promise<string> {
    const stdout = capture();
    const stderr = capture();
    expect(await gatewayCommand(argv, ENV, { stdout, stderr })).toBe(2);
    expect(stdout.text()).toBe('');
    return stderr.text();
  }

  test('a missing file', async () => {
    const missing = path.join(dir, 'nope.graphql');
    expect(await refused(['--supergraph', missing])).toBe(
      `sdp gateway: cannot read supergraph ${missing}: no such file\n`,
    );
  });

  test('a file that is not GraphQL, with the position of the error', async () => {
    const file = path.join(dir, 'broken.graphql');
    await writeFile(file, 'type Query {\n  a: Int\n');
    expect(await refused(['--supergraph', file])).toBe(
      `sdp gateway: ${file}:3:1 is not GraphQL SDL: Syntax Error: Expected Name, found <EOF>.\n`,
    );
  });

  test("a subgraph's SDL instead of a supergraph", async () => {
    expect(await refused(['--supergraph', path.join(dir, 'books.graphql')])).toMatch(
      /books\.graphql is not a composed supergraph: it has no join__Graph enum .*rover supergraph compose/,
    );
  });

  test('a supergraph whose core features are broken', async () => {
    const file = path.join(dir, 'tampered.graphql');
    const sdl = await readFile(supergraphFile, 'utf8');
    await writeFile(file, sdl.replace('https://specs.apollo.dev/join/', 'https://example.org/join/'));
    expect(await refused(['--supergraph', file])).toMatch(
      /tampered\.graphql is not a valid supergraph: .+\n$/,
    );
  });

  test('a command line without --supergraph, or with a bad port or option, with the usage', async () => {
    expect(await refused([])).toMatch(/^sdp gateway: --supergraph <file> is required\n\nusage: sdp gateway/);
    expect(await refused(['--supergraph', supergraphFile, '--port', '70000'])).toMatch(
      /^sdp gateway: --port "70000" is not an integer between 0 and 65535\n\nusage:/,
    );
    expect(await refused(['--supergraph', supergraphFile, '--frobnicate'])).toMatch(
      /^sdp gateway: Unknown option '--frobnicate'.*\n\nusage:/,
    );
  });
});

test('`sdp gateway` is a command of the sdp CLI', async () => {
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await main(['gateway', '--help'])).toBe(0);
    expect(String(spy.mock.calls[0]?.[0])).toMatch(/^usage: sdp gateway --supergraph <file>/);
  } finally {
    spy.mockRestore();
  }
});

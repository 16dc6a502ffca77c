/**
 * `sdp gateway --supergraph <file> [--port N] [--host H]`: the sdp gateway (with
 * every default plugin, `/graphql`, `/health`, `/ready`, GraphiQL) over any
 * composed supergraph, routing to the subgraph URLs composed into it. This is how
 * teams run the gateway over their own subgraphs, and what every benchmark runs.
 *
 * The file is checked before anything starts, so a wrong file is one clear line
 * (exit 2) rather than a stack trace from deep inside Apollo Gateway: it must
 * exist, parse as GraphQL SDL, and be a supergraph (a core schema with the join
 * spec, as composition writes it), not a subgraph's SDL.
 *
 * Runs until SIGINT or SIGTERM, then drains in-flight requests and exits 0.
 */
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Supergraph } from '@apollo/federation-internals';
import { GraphQLError, parse } from 'graphql';
import { loadConfig } from '../config/env';
import { openGatewayAccess } from '../gateway/access';
import { plannableSupergraph } from '../gateway/policy/requirements';
import { startGateway, subgraphsOf } from '../gateway/server';
import { createLogger } from '../platform/logger';
import { createEventLog } from '../streams';

export const USAGE = [
  'usage: sdp gateway --supergraph <file> [--port N] [--host H]',
  '',
  'Serves the sdp gateway over a composed supergraph (e.g. `rover supergraph compose` output,',
  'or schema/supergraph.graphql), routing to the subgraph URLs in the file.',
  '  --supergraph <file>  the supergraph SDL (required)',
  '  --port N             HTTP port, 0 for any free one (default SDP_PORT, else 4000)',
  '  --host H             interface to bind (default SDP_HOST, else 127.0.0.1)',
].join('\n');

/** A bad command line or supergraph file: reported as one line (plus usage for a bad command line), exit code 2. */
export class GatewayInputError extends Error {
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}

export interface GatewayArgs {
  supergraphFile: string;
  port: number | undefined;
  host: string | undefined;
}

/** Parses the command line; `help` when the user asked for usage. */
export function parseGatewayArgs(argv: string[]): GatewayArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        supergraph: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new GatewayInputError((error as Error).message, true);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  if (!values.supergraph) throw new GatewayInputError('--supergraph <file> is required', true);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      throw new GatewayInputError(
        `--port ${JSON.stringify(values.port)} is not an integer between 0 and 65535`,
        true,
      );
    }
  }
  if (values.host !== undefined && values.host.trim() === '')
    throw new GatewayInputError('--host is empty', true);
  return { supergraphFile: values.supergraph, port, host: values.host };
}

/**
 * Reads and checks a supergraph file; returns its SDL. Every failure names the
 * file and says what is wrong with it.
 */
export async function readSupergraph(file: string): Promise<string> {
  let sdl: string;
  try {
    sdl = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new GatewayInputError(`cannot read supergraph ${file}: ${why}`);
  }
  try {
    parse(sdl);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const at = error.locations?.[0];
    throw new GatewayInputError(
      `${file}${at ? `:${at.line}:${at.column}` : ''} is not GraphQL SDL: ${error.message}`,
    );
  }
  try {
    subgraphsOf(sdl);
  } catch (error) {
    // Most often a subgraph's own SDL: it has no join__Graph enum naming the subgraphs to route to.
    const message = (error as Error).message;
    const why = message.includes('no join__Graph')
      ? "it has no join__Graph enum naming subgraphs (is it a subgraph's SDL?)"
      : message.replace(/^supergraph: /, '');
    throw new GatewayInputError(
      `${file} is not a composed supergraph: ${why}; compose the subgraphs first, e.g. with \`rover supergraph compose\``,
    );
  }
  try {
    // What Apollo Gateway builds from the SDL at start-up, done here so a
    // hand-edited or truncated supergraph fails naming the file.
    Supergraph.build(plannableSupergraph(sdl));
  } catch (error) {
    throw new GatewayInputError(`${file} is not a valid supergraph: ${oneLine((error as Error).message)}`);
  }
  return sdl;
}

/** Apollo's validation messages span lines (source excerpts); one line reads better on a terminal. */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^\d+ \||^\||^GraphQL request:/.test(l))
    .join(' ');
}

export interface GatewayIo {
  stdout: Writable;
  stderr: Writable;
}

export async function gatewayCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: GatewayIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let args: GatewayArgs;
  let sdl: string;
  try {
    const parsed = parseGatewayArgs(argv);
    if (parsed === 'help') {
      io.stdout.write(USAGE + '\n');
      return 0;
    }
    args = parsed;
    sdl = await readSupergraph(args.supergraphFile);
  } catch (error) {
    if (!(error instanceof GatewayInputError)) throw error;
    io.stderr.write(`sdp gateway: ${error.message}\n`);
    if (error.showUsage) io.stderr.write(`\n${USAGE}\n`);
    return 2;
  }

  // SDP_PORT, SDP_HOST and SDP_LOG_LEVEL as for `sdp start`; the flags win.
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, { format: config.logFormat });
  // Without Kafka the audit goes to the durable file under SDP_DATA_DIR only.
  const log = config.kafkaBrokers ? createEventLog(config, logger) : undefined;
  const access = await openGatewayAccess({ config, logger, log });
  const gateway = await startGateway({
    access: access.access,
    supergraphSdl: sdl,
    port: args.port ?? config.port,
    host: args.host ?? config.host,
    logger: logger.child({ component: 'gateway' }),
    demand: config.demand,
  });
  const lines = [
    '',
    'sdp gateway is up',
    `  GraphQL   ${gateway.url}`,
    `  GraphiQL  ${gateway.baseUrl}/`,
    `  health    ${gateway.baseUrl}/health   ready ${gateway.baseUrl}/ready`,
    ...subgraphsOf(sdl).map((s) => `  subgraph  ${s.name.padEnd(10)} ${s.url}`),
    '',
  ];
  io.stdout.write(lines.join('\n') + '\n');

  await new Promise<void>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      // Both handlers go at the first signal: a second Ctrl-C then ends the process the default way.
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      logger.info({ signal }, 'stopping');
      gateway
        .stop()
        .then(() => access.close())
        .then(() => log?.close())
        .then(resolve, (err: unknown) => {
          logger.error({ err }, 'stop failed');
          resolve();
        });
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  return 0;
}

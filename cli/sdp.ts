/**
 * The `sdp` command line. Each command lives in its own module and returns an
 * exit code; this file only dispatches and turns configuration errors into one
 * clear line instead of a stack trace.
 */
import { ConfigError } from '../config/env';
import { disableVendorTelemetry } from '../platform/vendor-telemetry';

type Command = (argv: string[]) => Promise<number>;

// Commands load lazily: `sdp produce` should not pay for loading the gateway.

const commands: Record<string, { summary: string; load: () => Command }> = {
  start: {
    summary: 'start the whole platform (gateway, every product, ingest, demo feeder)',
    load: () => (require('./start') as typeof import('./start')).startCommand,
  },
  gateway: {
    summary: 'gateway --supergraph <file> [--port N]   the sdp gateway over any composed supergraph',
    load: () => (require('./gateway') as typeof import('./gateway')).gatewayCommand,
  },
  produce: {
    summary: 'produce <stream> <file.ndjson|->   validate and publish events to a stream',
    load: () => (require('./produce') as typeof import('./produce')).produceCommand,
  },
  load: {
    summary: "load <product> <file>...   bulk-load files into a product's store (e.g. pageviews dumps)",
    load: () => (require('./load') as typeof import('./load')).loadCommand,
  },
  rebuild: {
    summary: "rebuild <product> --from earliest   recompute a product's store from the retained log",
    load: () => (require('./rebuild') as typeof import('./rebuild')).rebuildCommand,
  },
  keys: {
    summary: 'keys create|list|revoke|scopes   API keys for the gateway (printed once, stored hashed)',
    load: () => (require('./keys') as typeof import('./keys')).keysCommand,
  },
  audit: {
    summary: 'audit tail [--principal P] [--since T]   who read which protected data, key changes',
    load: () => (require('./audit') as typeof import('./audit')).auditCommand,
  },
  compose: {
    summary: 'compose [--check]   compose schema/*.graphql into schema/supergraph.graphql',
    load: () => (require('../schema/compose') as typeof import('../schema/compose')).composeCommand,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: sdp <command> [args]',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration comes from SDP_* environment variables (see README.md).',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  disableVendorTelemetry();
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`sdp: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await command.load()(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sdp: configuration error: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`sdp: ${describeError(err)}\n`);
    return 1;
  }
}

/**
 * One readable paragraph for a failure: the message and its chain of causes.
 * Operators need what failed and why (a server unreachable, a bad migration);
 * the stack only with SDP_LOG_LEVEL=debug or trace.
 */
export function describeError(err: unknown, env = process.env): string {
  const lines: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    lines.push(depth === 0 ? messageOf(e) : `  caused by: ${messageOf(e)}`);
    e = e instanceof Error ? e.cause : undefined;
  }
  if (/^(debug|trace)$/.test(env.SDP_LOG_LEVEL ?? '') && err instanceof Error && err.stack)
    lines.push(err.stack);
  return lines.join('\n');
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message || e.name : String(e);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`sdp: ${describeError(err)}\n`);
      process.exitCode = 1;
    },
  );
}

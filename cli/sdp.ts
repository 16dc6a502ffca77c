/**
 * The `sdp` command line. Each command lives in its own module and returns an
 * exit code; this file is the one place that knows them all: it dispatches,
 * answers `--help` for every command without running it, prints the version,
 * and turns a configuration error or a failure into one clear message.
 *
 * Exit codes, for every command: 0 done; 1 failed while running (a server
 * went away, a file broke part-way); 2 the command line or the configuration is
 * wrong (nothing was done).
 *
 * Adding a command is one entry in `commands`: its summary for `sdp help`, its
 * usage for `sdp <command> --help`, and how to load it.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/env';
import { findUnreachable } from '../config/unreachable';
import { repoPath } from '../platform/paths';
import { disableVendorTelemetry } from '../platform/vendor-telemetry';

type Command = (argv: string[]) => Promise<number>;

export interface CommandSpec {
  /** `sdp help`'s line: the synopsis, three spaces, what it does. */
  summary: string;
  /**
   * The text `sdp <command> --help` prints (synopsis, what it does, its
   * options); computed only when asked. Without one, `--help` prints the summary.
   */
  usage?: () => string | Promise<string>;
  /** The command, loaded lazily: `sdp produce` should not pay for loading the gateway. */
  load: () => Command;
}

const commands: Record<string, CommandSpec> = {
  start: {
    summary: 'start   the whole platform (gateway, every product, ingest, demo feeder)',
    usage: () => (require('./start') as typeof import('./start')).USAGE,
    load: () => (require('./start') as typeof import('./start')).startCommand,
  },
  gateway: {
    summary: 'gateway --supergraph <file> [--port N]   the sdp gateway over any composed supergraph',
    usage: () => (require('./gateway') as typeof import('./gateway')).USAGE,
    load: () => (require('./gateway') as typeof import('./gateway')).gatewayCommand,
  },
  produce: {
    summary: 'produce <stream> <file.ndjson|->   validate and publish events to a stream',
    usage: () => (require('./produce') as typeof import('./produce')).produceUsage(),
    load: () => (require('./produce') as typeof import('./produce')).produceCommand,
  },
  load: {
    summary: "load <product> <file>...   bulk-load files into a product's store (e.g. pageviews dumps)",
    usage: () => (require('./load') as typeof import('./load')).loadUsage(),
    load: () => (require('./load') as typeof import('./load')).loadCommand,
  },
  rebuild: {
    summary: "rebuild <product> --from earliest   recompute a product's store from the retained log",
    usage: () => (require('./rebuild') as typeof import('./rebuild')).rebuildUsage(),
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
    usage: () => (require('../schema/compose') as typeof import('../schema/compose')).USAGE,
    load: () => (require('../schema/compose') as typeof import('../schema/compose')).composeCommand,
  },
};

/** The version in package.json. */
export function version(): string {
  return (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;
}

function usage(): string {
  return [
    'usage: sdp <command> [args]        sdp <command> --help        sdp --version',
    '',
    // Each summary starts with the command and its arguments.
    ...Object.values(commands).map((c) => `  sdp ${c.summary}`),
    '',
    'Configuration comes from SDP_* environment variables (see README.md).',
    'Exit codes: 0 done, 1 failed while running, 2 wrong command line or configuration.',
  ].join('\n');
}

/** Whether the arguments ask for help (before a `--` that ends the options). */
function asksForHelp(args: string[]): boolean {
  const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  return options.includes('--help') || options.includes('-h');
}

export async function main(argv: string[]): Promise<number> {
  disableVendorTelemetry();
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(`sdp: no command given\n\n${usage()}\n`);
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      process.stdout.write(usage() + '\n');
      return 0;
    }
    return main([topic, '--help']);
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`sdp ${version()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`sdp: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  if (asksForHelp(rest)) {
    process.stdout.write(`${command.usage ? await command.usage() : `usage: sdp ${command.summary}`}\n`);
    return 0;
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
 * One readable paragraph for a failure: the message and its chain of causes
 * (an unreachable server: its one line). Operators need what failed and why (a
 * server unreachable, a bad migration); the stack only with SDP_LOG_LEVEL=debug
 * or trace.
 */
export function describeError(err: unknown, env = process.env): string {
  // An unreachable server's message already says what, where, which variable and what to do.
  const unreachable = findUnreachable(err);
  if (unreachable && !/^(debug|trace)$/.test(env.SDP_LOG_LEVEL ?? '')) return unreachable.message;
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

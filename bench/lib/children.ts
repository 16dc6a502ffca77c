/**
 * The benchmark's child processes (gateways, subgraph hosts, the platform, the
 * Kafka cluster): started with their CPU affinity, considered up when their
 * stdout shows a given line, stopped by PID. Every child still running when the
 * benchmark exits (normally, on an error, on Ctrl-C) is killed, so a run never
 * leaves servers behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface ChildOptions {
  /** For messages, e.g. `sdp gateway`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** CPU list for `taskset -c`, e.g. `0`; undefined runs unpinned. */
  cpus?: string;
  /** The child is up when a stdout line matches; the match is returned. */
  ready: RegExp;
  /** Default 60 s. */
  readyTimeoutMs?: number;
  /** Called with the pid as soon as the process exists, before it is ready (to measure its start-up work). */
  onSpawn?(pid: number): void;
}

export interface Child {
  name: string;
  pid: number;
  /** The `ready` match. */
  match: RegExpMatchArray;
  /** The last few KB of stdout and stderr, for error messages. */
  tail(): string;
  /** Throws when the process has exited (it must stay up while it is measured). */
  assertAlive(): void;
  /** SIGTERM, then SIGKILL after 10 s. Idempotent. */
  stop(): Promise<void>;
}

const TAIL_BYTES = 8 * 1024;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const child of live) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  // Death by signal skips 'exit' handlers: Ctrl-C or a timeout must not orphan servers either.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.stderr.write(`bench: ${signal}, stopped every server it had started\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

let tasksetAvailable: boolean | undefined;

/** Whether `taskset` can pin processes here (util-linux; absent on some minimal images). */
export function canPin(): boolean {
  tasksetAvailable ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return tasksetAvailable;
}

/** Pins this process (the load generator) to `cpus`. */
export function pinSelf(cpus: string): void {
  const result = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`taskset -p -c ${cpus} failed: ${result.stderr.trim()}`);
}

export async function startChild(options: ChildOptions): Promise<Child> {
  installExitHook();
  const [command, args] = options.cpus
    ? ['taskset', ['-c', options.cpus, options.command, ...options.args]]
    : [options.command, options.args];
  // stdin stays a pipe: children of ours treat its EOF as "the benchmark is gone".
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  let tail = '';
  const keep = (chunk: string) => {
    tail = (tail + chunk).slice(-TAIL_BYTES);
  };
  child.stderr.setEncoding('utf8').on('data', keep);
  child.stdout.setEncoding('utf8');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(
    () => live.delete(child),
    () => undefined,
  );

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    let pending = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${options.name} did not start: ${why}\n--- its output ---\n${tail}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: string) => {
      keep(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const m = options.ready.exec(line);
        if (!m) continue;
        clearTimeout(timer);
        child.off('exit', onExit);
        // Keep draining stdout so a chatty child never blocks on a full pipe.
        child.stdout.off('data', onData).on('data', keep);
        resolve(m);
        return;
      }
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? code})`);
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (error) => fail(error.message));
  });

  let stopping: Promise<void> | undefined;
  return {
    name: options.name,
    pid: child.pid!,
    match,
    tail: () => tail,
    assertAlive() {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${options.name} (pid ${child.pid}) exited (${child.signalCode ?? child.exitCode})\n${tail}`,
        );
      }
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        child.stdin.destroy();
      })();
      return stopping;
    },
  };
}

/** Stops children in reverse start order, reporting (not throwing) failures so every one is tried. */
export async function stopAll(children: (Child | undefined)[]): Promise<void> {
  for (const child of [...children].reverse()) {
    if (!child) continue;
    await child.stop().catch((error: unknown) => {
      process.stderr.write(`bench: stopping ${child.name} failed: ${(error as Error).message}\n`);
    });
  }
}

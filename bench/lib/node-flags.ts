/**
 * The Node flags sdp runs with, read from its launcher's first line
 * (`#!/usr/bin/env -S node <flags>` in bin/sdp.js), so the benchmark never
 * keeps a copy of them. W4 ingests inside the benchmark process, so that
 * process runs with them too (`runWithLauncherFlags`): the ingest is measured
 * under the runtime settings `sdp start` gives it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { repoPath } from '../../platform/paths';

const LAUNCHER_LINE = /^#!\/usr\/bin\/env -S node((?: \S+)*)$/;

export function launcherNodeFlags(): string[] {
  const first = readFileSync(repoPath('bin', 'sdp.js'), 'utf8').split('\n', 1)[0] ?? '';
  const match = LAUNCHER_LINE.exec(first);
  if (!match)
    throw new Error(`bin/sdp.js: expected "#!/usr/bin/env -S node [flags]" as its first line, got ${first}`);
  return (match[1] ?? '').split(' ').filter(Boolean);
}

/**
 * Resolves with null when this process already has the launcher's flags (the
 * caller goes on); otherwise runs this same script again with them, waits for
 * it and resolves with its exit code. Ctrl-C reaches both through the terminal;
 * the child handles it (it stops its servers), this process only waits.
 */
export async function runWithLauncherFlags(): Promise<number | null> {
  const flags = launcherNodeFlags();
  if (flags.every((flag) => process.execArgv.includes(flag))) return null;
  const script = process.argv[1] as string;
  const child = spawn(process.execPath, [...process.execArgv, ...flags, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', forward('SIGTERM'));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 143)));
  });
}

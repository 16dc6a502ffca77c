/**
 * Small generated Wikimedia pageviews dumps for tests and measurements:
 * `pageviews-YYYYMMDD-HH0000[.gz]` files in the real line format, with lines
 * for mapped wikis (desktop and mobile), other projects, and any extra lines a
 * test adds (malformed ones, say).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'sdp-pageviews-'));
}

/** Writes a dump of `hour` (`YYYYMMDDHH`) with these lines; returns its path. */
export function writeDump(dir: string, hour: string, lines: readonly string[], gz = false): string {
  const file = path.join(dir, `pageviews-${hour.slice(0, 8)}-${hour.slice(8, 10)}0000${gz ? '.gz' : ''}`);
  const text = lines.map((l) => `${l}\n`).join('');
  writeFileSync(file, gz ? gzipSync(text) : text);
  return file;
}

/** Domain codes of the synthetic dumps with the wiki they map to (null: not mapped, skipped). */
export const SYNTHETIC_CODES: readonly (readonly [string, string | null])[] = [
  ['en', 'enwiki'],
  ['en.m', 'enwiki'],
  ['de', 'dewiki'],
  ['de.m', 'dewiki'],
  ['fr.b', 'frwikibooks'],
  ['commons.m', 'commonswiki'],
  ['en.f', null],
];

/**
 * `n` lines in dump order (by domain code, then title), deterministic: article
 * i of code c has `(i * 7 + c) % 500 + 1` views, so totals are computable.
 */
export function syntheticLines(n: number): string[] {
  const perCode = Math.ceil(n / SYNTHETIC_CODES.length);
  const lines: string[] = [];
  for (const [c, [code]] of SYNTHETIC_CODES.entries()) {
    for (let i = 0; i < perCode && lines.length < n; i++)
      lines.push(`${code} Article_${String(i).padStart(7, '0')} ${((i * 7 + c) % 500) + 1} 0`);
  }
  return lines.sort();
}

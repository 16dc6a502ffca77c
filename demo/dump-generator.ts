/**
 * Generated Wikimedia hourly pageviews dumps with a realistic shape, to try
 * `sdp load pageviews` without downloading real ones, and for the loader's
 * tests and the benchmark (which import it from here: it is a demo
 * capability, and no production module imports it).
 *
 * What makes them look real:
 *  - the format and names: `pageviews-YYYYMMDD-HH0000[.gz]`, lines
 *    `domain_code page_title count_views total_response_size` (the last
 *    field 0, as in the published dumps), sorted by domain code then title,
 *    one line per (code, title) of the hour;
 *  - a mix of project codes like a real hour's (CODE_SHARES: mostly
 *    Wikipedias, desktop and `.m` mobile, then wiktionaries, commons,
 *    wikidata and codes this product does not map, like `.f`);
 *  - Zipf-distributed titles: the article of rank r is drawn with probability
 *    ∝ 1/r and gets views ∝ 1/r, so a few articles take most views and a
 *    long tail is seen once an hour, as in the real dumps;
 *  - a few malformed lines (`malformedEvery`): missing fields, a non-numeric count.
 *
 * Everything is a pure function of (seed, hour): the same call writes the same bytes.
 */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Random } from './page-change-generator';

/**
 * Shares of lines per domain code in an hour, approximately as in a 2024
 * hourly dump (English Wikipedia's mobile and desktop sites about half the
 * lines, then the other large Wikipedias, the other families and sites).
 */
export const CODE_SHARES: readonly (readonly [string, number])[] = [
  ['en.m', 0.3],
  ['en', 0.18],
  ['de.m', 0.05],
  ['de', 0.04],
  ['ja.m', 0.05],
  ['ja', 0.02],
  ['es.m', 0.04],
  ['es', 0.015],
  ['fr.m', 0.035],
  ['fr', 0.025],
  ['ru.m', 0.03],
  ['ru', 0.015],
  ['it.m', 0.02],
  ['it', 0.01],
  ['zh.m', 0.015],
  ['zh', 0.01],
  ['pt.m', 0.012],
  ['pl.m', 0.01],
  ['en.d', 0.01],
  ['en.m.d', 0.01],
  ['de.d', 0.003],
  ['fr.m.d', 0.003],
  ['en.b', 0.002],
  ['en.q', 0.002],
  ['en.s', 0.002],
  ['en.voy', 0.001],
  ['commons.m', 0.04],
  ['commons.m.m', 0.005],
  ['www.wd', 0.02],
  ['meta.m', 0.002],
  ['species.m', 0.001],
  ['en.f', 0.002],
  ['outreach.m', 0.001],
];

export interface DumpShape {
  /** Seed of every random draw; with the hour it fixes the file's bytes. */
  seed: number;
  /** Lines per file (distinct code-title pairs of the hour). */
  lines: number;
  /** Articles each code draws from (its Zipf ranks); 10 × lines by default. */
  articlesPerCode?: number;
  /** One malformed line per this many (0: none); 20,000 by default. */
  malformedEvery?: number;
}

const WORDS = ['Article', 'Zürich', '東京', 'Категория', 'Talk:Topic', 'Special:Search', 'File:Map.svg'];

/** The title of an article rank: stable across hours and codes of one family, so articles recur. */
export function titleOfRank(rank: number): string {
  return `${WORDS[rank % WORDS.length]}_${rank.toString(36)}`;
}

/** A Zipf(1) rank in [1, n]: log-uniform, so rank r comes with probability ≈ 1/(r ln n). */
function zipfRank(random: () => number, n: number): number {
  return Math.min(n, Math.floor(Math.exp(random() * Math.log(n + 1))));
}

function hourSeed(seed: number, hour: string): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < hour.length; i++) h = Math.imul(h ^ hour.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The lines of the dump of `hour` (`YYYYMMDDHH`), sorted as the real dumps are. */
export function generateDumpLines(hour: string, shape: DumpShape): string[] {
  const rng = new Random(hourSeed(shape.seed, hour));
  const random = () => rng.next();
  const perCode = shape.articlesPerCode ?? 10 * shape.lines;
  const malformedEvery = shape.malformedEvery ?? 20_000;
  const cumulative: number[] = [];
  let total = 0;
  for (const [, share] of CODE_SHARES) cumulative.push((total += share));
  const seen = new Set<string>();
  const lines: string[] = [];
  // Diurnal traffic: the busiest hour has about twice the views of the quietest.
  const hourOfDay = Number(hour.slice(8, 10));
  const traffic = 1.5 + 0.5 * Math.sin(((hourOfDay - 8) / 24) * 2 * Math.PI);
  while (lines.length < shape.lines) {
    const pick = random() * total;
    let c = 0;
    while (cumulative[c]! < pick) c++;
    const code = CODE_SHARES[c]![0];
    const rank = zipfRank(random, perCode);
    const key = `${code} ${rank}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const views = Math.max(
      1,
      Math.round(((20_000 * CODE_SHARES[c]![1] * traffic) / rank) * (0.5 + random())),
    );
    lines.push(`${code} ${titleOfRank(rank)} ${views} 0`);
  }
  if (malformedEvery > 0) {
    const broken = ['en Missing_count', 'en.m Bad_count many 0', 'de  3 0', 'ja.m Extra field 1 0'];
    for (let i = malformedEvery, k = 0; i < lines.length; i += malformedEvery, k++)
      lines[i] = broken[k % broken.length]!;
  }
  // The published dumps are sorted by domain code, then title (byte order).
  return lines.sort();
}

export function dumpFileName(hour: string, gzip: boolean): string {
  return `pageviews-${hour.slice(0, 8)}-${hour.slice(8, 10)}0000${gzip ? '.gz' : ''}`;
}

/** Writes the dump of `hour` into `dir`; returns its path. */
export async function writeGeneratedDump(
  dir: string,
  hour: string,
  shape: DumpShape,
  gzip = true,
): Promise<string> {
  const file = path.join(dir, dumpFileName(hour, gzip));
  const lines = generateDumpLines(hour, shape);
  const text = Readable.from(
    (function* () {
      for (let i = 0; i < lines.length; i += 4096) yield lines.slice(i, i + 4096).join('\n') + '\n';
    })(),
  );
  const out = createWriteStream(file);
  if (gzip) await pipeline(text, createGzip(), out);
  else await pipeline(text, out);
  if (!out.closed) await once(out, 'close');
  return file;
}

/** Writes the 24 hourly dumps of `day` (`YYYYMMDD`) into `dir`; returns their paths, in hour order. */
export async function writeGeneratedDay(
  dir: string,
  day: string,
  shape: DumpShape,
  gzip = true,
): Promise<string[]> {
  const files: string[] = [];
  for (let h = 0; h < 24; h++)
    files.push(await writeGeneratedDump(dir, `${day}${String(h).padStart(2, '0')}`, shape, gzip));
  return files;
}

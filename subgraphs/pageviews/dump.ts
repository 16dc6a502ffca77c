/**
 * Wikimedia's public hourly pageviews dumps
 * (https://dumps.wikimedia.org/other/pageviews/): one file per hour named
 * `pageviews-YYYYMMDD-HH0000` (gzipped as `.gz`; the hour comes from the name),
 * one line per (domain_code, page_title):
 *
 *     domain_code page_title count_views total_response_size
 *
 * The dumps count user-agent views only, and split access by domain code alone
 * (`en` desktop, `en.m` mobile web; app views are not told apart), so a line
 * becomes one measured cell of one article-hour (`du` or `mwu`): the other
 * cells of that hour keep whatever the stream or another line stored.
 * `total_response_size` is always 0 in these dumps and is not kept.
 */
import path from 'node:path';
import { hourlyColumn, type PageviewHour } from './model';
import { pageviewHourInvalidReason } from './events';
import { namespaceOfTitle } from './namespaces';
import { parseDomainCode } from './projects';
import { keyToMs } from './timestamps';

export const DUMP_NAME = /^pageviews-(\d{8})-(\d{2})0000(\.gz)?$/;

/** The hour (`YYYYMMDDHH`) a dump file holds, from its name, or null when the name is not a dump's. */
export function dumpHour(file: string): string | null {
  const m = DUMP_NAME.exec(path.basename(file));
  if (!m) return null;
  const hour = `${m[1]}${m[2]}`;
  return Number.isNaN(keyToMs(hour)) ? null : hour;
}

export function isGzipped(file: string): boolean {
  return file.endsWith('.gz');
}

/** Why a line is not loaded; the summary counts lines by these. */
export const SKIP = {
  malformed: 'malformed line',
  unmappedDomain: 'domain code without a wiki id',
  invalid: 'failed domain checks',
  expired: 'older than hourly retention',
} as const;
export type SkipReason = (typeof SKIP)[keyof typeof SKIP];

export type DumpLine = { hour: PageviewHour } | { skip: SkipReason; detail: string };

/** One dump line of `hour`, normalised and checked like a stream event. */
export function parseDumpLine(line: string, hour: string): DumpLine {
  const fields = line.split(' ');
  if (fields.length !== 4) return { skip: SKIP.malformed, detail: `${fields.length} fields, expected 4` };
  const [code, title, views] = fields as [string, string, string, string];
  if (!/^\d{1,10}$/.test(views))
    return { skip: SKIP.malformed, detail: `count_views ${JSON.stringify(views)}` };
  const domain = parseDomainCode(code);
  if (!domain) return { skip: SKIP.unmappedDomain, detail: code };
  const normalised: PageviewHour = {
    wikiId: domain.wikiId,
    project: domain.project,
    namespace: namespaceOfTitle(domain.wikiId, title),
    title,
    hour,
    cells: { [hourlyColumn(domain.access, 'user')]: Number(views) },
  };
  const reason = pageviewHourInvalidReason(normalised);
  return reason === null ? { hour: normalised } : { skip: SKIP.invalid, detail: reason };
}

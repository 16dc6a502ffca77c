/**
 * The three names of a Wikimedia wiki this product meets, and the one place
 * that maps between them:
 *  - `wikiId`: the MediaWiki database name the events and the `Page` key use (`enwiki`);
 *  - `project`: AQS's project, the partition key of its tables (`en.wikipedia`);
 *  - the pageviews dumps' `domain_code`: the language (or site) label, `.m` when
 *    the request came from the mobile site, then the project family's
 *    abbreviation (none for Wikipedia): `en` desktop en.wikipedia, `en.m` its
 *    mobile web, `de.b` de.wikibooks, `fr.m.d` mobile fr.wiktionary,
 *    `commons.m` commons.wikimedia (`.m` there is the *wikimedia* family).
 *
 * Codes outside these families (e.g. `.f` wikimediafoundation.org) have no
 * wiki id here and are counted as skipped by the loader.
 */
import type { AccessMethod } from './model';

interface Family {
  /** AQS project suffix, e.g. `wikipedia`. */
  family: string;
  /** Database name suffix, e.g. `wiki`. */
  dbSuffix: string;
  /** Dump abbreviation, '' for Wikipedia. */
  abbreviation: string;
}

/** Longest database suffix first: `wiki` is a suffix of no other, but is checked last anyway. */
const FAMILIES: readonly Family[] = [
  { family: 'wiktionary', dbSuffix: 'wiktionary', abbreviation: 'd' },
  { family: 'wikibooks', dbSuffix: 'wikibooks', abbreviation: 'b' },
  { family: 'wikinews', dbSuffix: 'wikinews', abbreviation: 'n' },
  { family: 'wikiquote', dbSuffix: 'wikiquote', abbreviation: 'q' },
  { family: 'wikisource', dbSuffix: 'wikisource', abbreviation: 's' },
  { family: 'wikiversity', dbSuffix: 'wikiversity', abbreviation: 'v' },
  { family: 'wikivoyage', dbSuffix: 'wikivoyage', abbreviation: 'voy' },
  { family: 'wikipedia', dbSuffix: 'wiki', abbreviation: '' },
];

/** Wikis outside the language families, with their desktop dump code. */
const SITES: readonly { wikiId: string; project: string; dumpCode: string }[] = [
  { wikiId: 'commonswiki', project: 'commons.wikimedia', dumpCode: 'commons.m' },
  { wikiId: 'metawiki', project: 'meta.wikimedia', dumpCode: 'meta.m' },
  { wikiId: 'specieswiki', project: 'species.wikimedia', dumpCode: 'species.m' },
  { wikiId: 'wikidatawiki', project: 'wikidata', dumpCode: 'www.wd' },
  { wikiId: 'mediawikiwiki', project: 'mediawiki', dumpCode: 'www.w' },
];

/** Language codes whose database name is not the code with `-` → `_`. */
const LANGUAGE_DB_NAMES: Record<string, string> = { 'be-tarask': 'be_x_old' };
const DB_LANGUAGES: Record<string, string> = Object.fromEntries(
  Object.entries(LANGUAGE_DB_NAMES).map(([code, db]) => [db, code]),
);

const LANGUAGE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const DB_LANGUAGE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const SITE_LABELS = new Set(SITES.map((s) => s.dumpCode.split('.')[0]!));

/** AQS project of a wiki, or null when the wiki is in no family this product knows. */
export function projectOfWiki(wikiId: string): string | null {
  const site = SITES.find((s) => s.wikiId === wikiId);
  if (site) return site.project;
  for (const f of FAMILIES) {
    if (!wikiId.endsWith(f.dbSuffix)) continue;
    const db = wikiId.slice(0, -f.dbSuffix.length);
    if (!DB_LANGUAGE.test(db)) return null;
    return `${DB_LANGUAGES[db] ?? db.replace(/_/g, '-')}.${f.family}`;
  }
  return null;
}

/** Wiki database name of an AQS project, or null when unknown. */
export function wikiOfProject(project: string): string | null {
  const site = SITES.find((s) => s.project === project);
  if (site) return site.wikiId;
  const dot = project.lastIndexOf('.');
  const family = FAMILIES.find((f) => f.family === project.slice(dot + 1));
  const language = project.slice(0, Math.max(dot, 0));
  if (!family || !LANGUAGE.test(language)) return null;
  return `${LANGUAGE_DB_NAMES[language] ?? language.replace(/-/g, '_')}${family.dbSuffix}`;
}

export interface DumpDomain {
  wikiId: string;
  project: string;
  access: Extract<AccessMethod, 'desktop' | 'mobile-web'>;
}

/** What a dump `domain_code` means, or null when it names no wiki this product maps. */
export function parseDomainCode(code: string): DumpDomain | null {
  const labels = code.split('.');
  const mobile = labels[1] === 'm';
  // `commons.m` is desktop commons.wikimedia, `commons.m.m` its mobile site.
  for (const site of SITES) {
    const [first, ...rest] = site.dumpCode.split('.');
    if (code === site.dumpCode) return { wikiId: site.wikiId, project: site.project, access: 'desktop' };
    if (code === [first, 'm', ...rest].join('.'))
      return { wikiId: site.wikiId, project: site.project, access: 'mobile-web' };
  }
  const [language, ...tail] = labels;
  if (!language || !LANGUAGE.test(language) || SITE_LABELS.has(language)) return null;
  const rest = mobile ? tail.slice(1) : tail;
  if (rest.length > 1) return null;
  const family = FAMILIES.find((f) => f.abbreviation === (rest[0] ?? ''));
  if (!family) return null;
  const project = `${language}.${family.family}`;
  const wikiId = wikiOfProject(project);
  return wikiId ? { wikiId, project, access: mobile ? 'mobile-web' : 'desktop' } : null;
}

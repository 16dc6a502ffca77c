/**
 * The namespace of a prefixed title. Pageview dumps (like AQS) name an article
 * only by its prefixed title (`Talk:Foo`, `Diskussion:Foo` on dewiki), while
 * the `Page` key also has the namespace id; the pages product's titles carry
 * the same prefix, so the id is derived from it.
 *
 * Known here: MediaWiki's canonical English names (valid on every wiki) and
 * the local names and aliases of enwiki and dewiki, the demo's wikis. A prefix
 * nobody knows means namespace 0: colons are legal in main-namespace titles
 * (`Star_Wars:_Episode_IV`). MediaWiki matches namespace names ignoring case
 * and treating `_` and space alike, and so does this.
 */

const CANONICAL: Record<string, number> = {
  media: -2,
  special: -1,
  talk: 1,
  user: 2,
  user_talk: 3,
  project: 4,
  project_talk: 5,
  file: 6,
  image: 6,
  file_talk: 7,
  image_talk: 7,
  mediawiki: 8,
  mediawiki_talk: 9,
  template: 10,
  template_talk: 11,
  help: 12,
  help_talk: 13,
  category: 14,
  category_talk: 15,
  module: 828,
  module_talk: 829,
};

const LOCAL: Record<string, Record<string, number>> = {
  enwiki: {
    wikipedia: 4,
    wp: 4,
    wikipedia_talk: 5,
    wt: 5,
    portal: 100,
    portal_talk: 101,
    draft: 118,
    draft_talk: 119,
    timedtext: 710,
    timedtext_talk: 711,
  },
  dewiki: {
    medium: -2,
    spezial: -1,
    diskussion: 1,
    benutzer: 2,
    benutzerin: 2,
    benutzer_diskussion: 3,
    benutzerin_diskussion: 3,
    wikipedia: 4,
    wp: 4,
    wikipedia_diskussion: 5,
    datei: 6,
    bild: 6,
    datei_diskussion: 7,
    mediawiki_diskussion: 9,
    vorlage: 10,
    vorlage_diskussion: 11,
    hilfe: 12,
    hilfe_diskussion: 13,
    kategorie: 14,
    kategorie_diskussion: 15,
    portal: 100,
    portal_diskussion: 101,
    modul: 828,
    modul_diskussion: 829,
  },
};

/** Namespace id of a prefixed title on a wiki; 0 when it has no prefix this module knows. */
export function namespaceOfTitle(wikiId: string, title: string): number {
  const colon = title.indexOf(':');
  if (colon <= 0) return 0;
  const prefix = title.slice(0, colon).replace(/ /g, '_').toLowerCase();
  return LOCAL[wikiId]?.[prefix] ?? CANONICAL[prefix] ?? 0;
}

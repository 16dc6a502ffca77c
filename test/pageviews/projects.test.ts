/** The wikiId ↔ AQS project ↔ dump domain code mapping, and namespaces from title prefixes. */
import { namespaceOfTitle } from '../../subgraphs/pageviews/namespaces';
import { parseDomainCode, projectOfWiki, wikiOfProject } from '../../subgraphs/pageviews/projects';

describe('projectOfWiki / wikiOfProject', () => {
  it.each([
    ['enwiki', 'en.wikipedia'],
    ['dewiki', 'de.wikipedia'],
    ['enwikibooks', 'en.wikibooks'],
    ['frwiktionary', 'fr.wiktionary'],
    ['dewikivoyage', 'de.wikivoyage'],
    ['itwikiquote', 'it.wikiquote'],
    ['eswikinews', 'es.wikinews'],
    ['plwikisource', 'pl.wikisource'],
    ['enwikiversity', 'en.wikiversity'],
    ['zh_min_nanwiki', 'zh-min-nan.wikipedia'],
    ['be_x_oldwiki', 'be-tarask.wikipedia'],
    ['commonswiki', 'commons.wikimedia'],
    ['metawiki', 'meta.wikimedia'],
    ['wikidatawiki', 'wikidata'],
    ['mediawikiwiki', 'mediawiki'],
  ])('%s ↔ %s', (wikiId, project) => {
    expect(projectOfWiki(wikiId)).toBe(project);
    expect(wikiOfProject(project)).toBe(wikiId);
  });

  it.each(['', 'wiki', 'en', 'enwikimedia', 'EnWiki', 'en-wiki', '_wiki', 'en__wiki'])(
    'has no project for %j',
    (wikiId) => expect(projectOfWiki(wikiId)).toBeNull(),
  );

  it.each(['', 'en', 'en.wikimedia', 'wikipedia', 'EN.wikipedia', 'en.wikipedia.org'])(
    'has no wiki for project %j',
    (project) => expect(wikiOfProject(project)).toBeNull(),
  );
});

describe('parseDomainCode', () => {
  it.each([
    ['en', 'enwiki', 'en.wikipedia', 'desktop'],
    ['en.m', 'enwiki', 'en.wikipedia', 'mobile-web'],
    ['de', 'dewiki', 'de.wikipedia', 'desktop'],
    ['de.m', 'dewiki', 'de.wikipedia', 'mobile-web'],
    ['de.b', 'dewikibooks', 'de.wikibooks', 'desktop'],
    ['en.m.b', 'enwikibooks', 'en.wikibooks', 'mobile-web'],
    ['fr.d', 'frwiktionary', 'fr.wiktionary', 'desktop'],
    ['fr.m.d', 'frwiktionary', 'fr.wiktionary', 'mobile-web'],
    ['en.voy', 'enwikivoyage', 'en.wikivoyage', 'desktop'],
    ['zh-min-nan', 'zh_min_nanwiki', 'zh-min-nan.wikipedia', 'desktop'],
    ['commons.m', 'commonswiki', 'commons.wikimedia', 'desktop'],
    ['commons.m.m', 'commonswiki', 'commons.wikimedia', 'mobile-web'],
    ['www.wd', 'wikidatawiki', 'wikidata', 'desktop'],
    ['www.m.wd', 'wikidatawiki', 'wikidata', 'mobile-web'],
  ])('%s → %s %s %s', (code, wikiId, project, access) => {
    expect(parseDomainCode(code)).toEqual({ wikiId, project, access });
  });

  it.each(['', 'en.f', 'en.m.f', 'en.x', 'en.b.d', 'En', 'en.m.m.b', '.m', 'www', 'commons', 'meta.m.b'])(
    'maps %j to nothing',
    (code) => expect(parseDomainCode(code)).toBeNull(),
  );
});

describe('namespaceOfTitle', () => {
  it.each([
    ['enwiki', 'Albert_Einstein', 0],
    ['enwiki', 'Talk:Albert_Einstein', 1],
    ['enwiki', 'User_talk:Example', 3],
    ['enwiki', 'user talk:Example', 3],
    ['enwiki', 'Wikipedia:Village_pump', 4],
    ['enwiki', 'WP:NPOV', 4],
    ['enwiki', 'Draft:Something', 118],
    ['enwiki', 'Special:Search', -1],
    ['enwiki', 'Image:Foo.jpg', 6],
    ['dewiki', 'Diskussion:Berlin', 1],
    ['dewiki', 'Benutzerin:Beispiel', 2],
    ['dewiki', 'Kategorie:Physik', 14],
    // Canonical English names work on every wiki.
    ['dewiki', 'Talk:Berlin', 1],
    ['frwiki', 'Category:Physique', 14],
    // A local name of another wiki is not a prefix here.
    ['enwiki', 'Diskussion:Berlin', 0],
    // Colons are legal in main-namespace titles.
    ['enwiki', 'Star_Wars:_Episode_IV_–_A_New_Hope', 0],
    ['enwiki', ':Leading_colon', 0],
  ])('%s %s → %i', (wikiId, title, namespace) => {
    expect(namespaceOfTitle(wikiId, title)).toBe(namespace);
  });
});

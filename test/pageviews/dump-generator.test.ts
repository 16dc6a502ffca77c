/**
 * The demo's dump generator: the real line format and file names, the same
 * bytes for the same seed, Zipf-shaped titles, the project-code mix with
 * mobile codes, and a few malformed lines, all as the loader reads them.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { generateDumpLines, writeGeneratedDump } from '../../demo/dump-generator';
import { dumpHour, parseDumpLine, SKIP } from '../../subgraphs/pageviews/dump';
import { tempDir } from './dumps';

const SHAPE = { seed: 7, lines: 20_000, malformedEvery: 5_000 };

describe('generated pageviews dumps', () => {
  const lines = generateDumpLines('2024110105', SHAPE);

  it('is deterministic by seed and hour', () => {
    expect(generateDumpLines('2024110105', SHAPE)).toEqual(lines);
    expect(generateDumpLines('2024110106', SHAPE)).not.toEqual(lines);
    expect(generateDumpLines('2024110105', { ...SHAPE, seed: 8 })).not.toEqual(lines);
  });

  it('writes sorted, distinct lines in the dump format, a few of them malformed', () => {
    expect(lines).toHaveLength(20_000);
    expect([...lines].sort()).toEqual(lines);
    const parsed = lines.map((l) => parseDumpLine(l, '2024110105'));
    const malformed = parsed.filter((p) => 'skip' in p && p.skip !== SKIP.unmappedDomain);
    expect(malformed).toHaveLength(3);
    const good = lines.filter((l) => /^\S+ \S+ [1-9]\d* 0$/.test(l));
    expect(good.length).toBe(lines.length - 3);
    expect(new Set(good.map((l) => l.split(' ').slice(0, 2).join(' '))).size).toBe(good.length);
  });

  it('mixes desktop and mobile codes of many projects, with unmapped ones skipped', () => {
    const codes = new Map<string, number>();
    for (const l of lines) codes.set(l.split(' ')[0]!, (codes.get(l.split(' ')[0]!) ?? 0) + 1);
    // Popular codes repeat titles more often, and a title appears once per code and hour.
    expect(codes.get('en.m')! / lines.length).toBeGreaterThan(0.2);
    expect(codes.get('en')! / lines.length).toBeGreaterThan(0.12);
    for (const code of ['de.m', 'commons.m', 'www.wd', 'en.m.d', 'en.f'])
      expect(codes.get(code)).toBeGreaterThan(0);
    const parsed = lines.map((l) => parseDumpLine(l, '2024110105'));
    const accesses = new Set(parsed.flatMap((p) => ('hour' in p ? Object.keys(p.hour.cells) : [])));
    expect(accesses).toEqual(new Set(['du', 'mwu']));
    expect(parsed.filter((p) => 'skip' in p && p.skip === SKIP.unmappedDomain).length).toBeGreaterThan(0);
  });

  it('gives views like Zipf: a few articles take a large share, most are seen once', () => {
    const views = lines
      .filter((l) => l.startsWith('en.m '))
      .map((l) => Number(l.split(' ')[2]))
      .filter((n) => Number.isFinite(n))
      .sort((a, b) => b - a);
    const total = views.reduce((a, b) => a + b, 0);
    const top1pc = views.slice(0, Math.ceil(views.length / 100)).reduce((a, b) => a + b, 0);
    expect(top1pc / total).toBeGreaterThan(0.3);
    expect(views.filter((v) => v <= 2).length / views.length).toBeGreaterThan(0.3);
  });

  it('names files like the published dumps, plain or gzipped', async () => {
    const dir = tempDir();
    const gz = await writeGeneratedDump(dir, '2024110105', SHAPE);
    const plain = await writeGeneratedDump(dir, '2024110105', SHAPE, false);
    expect(gz).toMatch(/pageviews-20241101-050000\.gz$/);
    expect(dumpHour(gz)).toBe('2024110105');
    expect(dumpHour(plain)).toBe('2024110105');
    expect(gunzipSync(readFileSync(gz)).toString()).toBe(lines.join('\n') + '\n');
    expect(readFileSync(plain, 'utf8')).toBe(lines.join('\n') + '\n');
  });
});

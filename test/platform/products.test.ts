import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../config/env';
import { loadProducts } from '../../platform/products';

test('every folder under subgraphs/ with a product module is discovered, by name', () => {
  const products = loadProducts();
  expect(products.map((p) => p.name)).toContain('pages');
  const pages = products.find((p) => p.name === 'pages')!;
  expect(pages.streams.map((s) => s.stream)).toEqual(['mediawiki.page_change.v1']);
});

function productDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sdp-products-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const product = (name: string, portOffset: number) =>
  `module.exports.default = { name: '${name}', portOffset: ${portOffset}, sdlPath: 'x', streams: [], openStore() {}, context() {} };`;

test('a folder whose product names another folder is rejected', () => {
  const dir = productDir({ 'alpha/product.js': product('beta', 0) });
  expect(() => loadProducts(dir)).toThrow(/declares product "beta"; the folder is "alpha"/);
});

test('two products on one port are rejected', () => {
  const dir = productDir({ 'a/product.js': product('a', 3), 'b/product.js': product('b', 3) });
  expect(() => loadProducts(dir)).toThrow(/both use portOffset 3/);
});

test('a product module that is not a DataProduct is rejected; folders without one are ignored', () => {
  const dir = productDir({ 'a/product.js': 'module.exports.default = 42;', 'b/README.md': '' });
  expect(() => loadProducts(dir)).toThrow(/must default-export a DataProduct/);
});

test('every embedded store describes itself in the same words', async () => {
  const descriptions = new Set<string>();
  for (const product of loadProducts()) {
    const store = await product.openStore({ config: loadConfig({}), logger: pino({ level: 'silent' }) });
    try {
      descriptions.add(store.description);
    } finally {
      await store.close();
    }
  }
  expect([...descriptions]).toEqual(['embedded (in-process memory, not durable)']);
});

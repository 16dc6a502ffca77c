/**
 * Discovers the data products: every folder under `subgraphs/` with a
 * `product` module whose default export is a DataProduct. Discovery (instead of
 * a list in code) is what lets a team add a product without touching the
 * gateway or the platform.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SUBGRAPH_PORT_BASE } from '../config/env';
import type { DataProduct, StreamBinding } from './product';

function isProduct(value: unknown): value is DataProduct {
  const p = value as Partial<DataProduct> | undefined;
  return (
    typeof p?.name === 'string' &&
    typeof p.openStore === 'function' &&
    typeof p.context === 'function' &&
    typeof p.sdlPath === 'string' &&
    Array.isArray(p.streams)
  );
}

/** Products in name order. `dir` defaults to the `subgraphs/` folder next to this code (sources or dist). */
export function loadProducts(dir = join(__dirname, '..', 'subgraphs')): DataProduct[] {
  const products: DataProduct[] = [];
  for (const name of readdirSync(dir).sort()) {
    const candidates = ['product.js', 'product.ts'].map((f) => join(dir, name, f));
    const file = candidates.find((f) => existsSync(f));
    if (!file) continue;
    const product: unknown = require(file).default;
    if (!isProduct(product)) throw new Error(`${file} must default-export a DataProduct`);
    if (product.name !== name)
      throw new Error(`${file} declares product "${product.name}"; the folder is "${name}"`);
    products.push(product);
  }
  const ports = new Map<number, string>();
  for (const p of products) {
    const clash = ports.get(p.portOffset);
    if (clash) throw new Error(`products ${clash} and ${p.name} both use portOffset ${p.portOffset}`);
    ports.set(p.portOffset, p.name);
  }
  return products;
}

/**
 * Every stream some product consumes, with a binding that says how its events are
 * validated and keyed. Two products may consume one stream (their bindings then
 * share the schema title and the key, which are the stream's, not the product's);
 * the first in name order stands for it.
 */
export function streamBindings(
  products: DataProduct[] = loadProducts(),
): Map<string, StreamBinding<unknown>> {
  const bindings = new Map<string, StreamBinding<unknown>>();
  for (const product of products) {
    for (const binding of product.streams)
      if (!bindings.has(binding.stream)) bindings.set(binding.stream, binding);
  }
  return bindings;
}

/** A product's subgraph port: the configured base plus its offset; base 0 asks for an ephemeral port (tests). */
export function subgraphPort(product: Pick<DataProduct, 'portOffset'>, base: number): number {
  return base === 0 ? 0 : base + product.portOffset;
}

/**
 * The routing URL of each product's subgraph on the default ports, composed into
 * the supergraph. A platform on other ports passes its real URLs to the gateway,
 * which override these.
 */
export function defaultRoutingUrls(products: DataProduct[] = loadProducts()): Record<string, string> {
  return Object.fromEntries(
    products.map((p) => [p.name, `http://localhost:${subgraphPort(p, DEFAULT_SUBGRAPH_PORT_BASE)}/graphql`]),
  );
}

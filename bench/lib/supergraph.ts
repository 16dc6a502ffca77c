/** Supergraph SDL helpers for the benchmark: routing URLs and the API schema. */
import { writeFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { Kind, parse, print, visit, type GraphQLSchema } from 'graphql';

/**
 * The supergraph with the given subgraphs' routing URLs (`@join__graph(url:)`)
 * replaced, so that any gateway started on the file reaches subgraphs that
 * listen on ephemeral ports. Every name must be a subgraph of the supergraph.
 */
export function withRoutingUrls(supergraphSdl: string, urls: Record<string, string>): string {
  const seen = new Set<string>();
  const document = visit(parse(supergraphSdl), {
    Directive(node) {
      if (node.name.value !== 'join__graph') return undefined;
      const name = node.arguments?.find((a) => a.name.value === 'name')?.value;
      if (name?.kind !== Kind.STRING) return undefined;
      const url = urls[name.value];
      if (url === undefined) return undefined;
      seen.add(name.value);
      return {
        ...node,
        arguments: node.arguments?.map((a) =>
          a.name.value === 'url' ? { ...a, value: { kind: Kind.STRING, value: url } } : a,
        ),
      };
    },
  });
  const missing = Object.keys(urls).filter((n) => !seen.has(n));
  if (missing.length > 0) throw new Error(`not subgraphs of the supergraph: ${missing.join(', ')}`);
  return print(document);
}

/** The schema clients see (join and link machinery removed). */
export function apiSchema(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

export function writeSupergraph(file: string, sdl: string): string {
  writeFileSync(file, sdl);
  return file;
}

/** Supergraph SDL helpers for the benchmark: routing URLs and the API schema. */
import { writeFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import {
  Kind,
  parse,
  print,
  visit,
  type ConstDirectiveNode,
  type DefinitionNode,
  type GraphQLSchema,
} from 'graphql';
import { plannableSupergraph } from '../../gateway/policy/requirements';

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
  return Supergraph.build(plannableSupergraph(supergraphSdl)).apiSchema().toGraphQLJSSchema();
}

export function writeSupergraph(file: string, sdl: string): string {
  writeFileSync(file, sdl);
  return file;
}

/**
 * The supergraph with `Type.field` protected by `@requiresScopes(scopes: [[scope]])`,
 * as composition writes it (the `requiresScopes` link for SECURITY, its directive
 * and scalar): W1 with a protected field, for the policy-on run.
 */
export function withRequiredScope(supergraphSdl: string, coordinate: string, scope: string): string {
  const [typeName, fieldName] = coordinate.split('.');
  let marked = false;
  const directive = (name: string, args: ConstDirectiveNode['arguments']): ConstDirectiveNode => ({
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: name },
    arguments: args,
  });
  const document = visit(parse(supergraphSdl), {
    SchemaDefinition(node) {
      const link = directive('link', [
        {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: 'url' },
          value: { kind: Kind.STRING, value: 'https://specs.apollo.dev/requiresScopes/v0.1' },
        },
        {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: 'for' },
          value: { kind: Kind.ENUM, value: 'SECURITY' },
        },
      ]);
      return { ...node, directives: [...(node.directives ?? []), link] };
    },
    ObjectTypeDefinition(node) {
      if (node.name.value !== typeName) return undefined;
      return {
        ...node,
        fields: node.fields?.map((f) => {
          if (f.name.value !== fieldName) return f;
          marked = true;
          const scopes = directive('requiresScopes', [
            {
              kind: Kind.ARGUMENT,
              name: { kind: Kind.NAME, value: 'scopes' },
              value: {
                kind: Kind.LIST,
                values: [{ kind: Kind.LIST, values: [{ kind: Kind.STRING, value: scope }] }],
              },
            },
          ]);
          return { ...f, directives: [...(f.directives ?? []), scopes] };
        }),
      };
    },
  });
  if (!marked) throw new Error(`${coordinate} is not a field of the supergraph`);
  const extra = parse(
    'directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n' +
      'scalar requiresScopes__Scope',
  ).definitions as DefinitionNode[];
  return print({ ...document, definitions: [...document.definitions, ...extra] });
}

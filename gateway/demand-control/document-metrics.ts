/**
 * The static measures of a GraphQL document that the gateway limits per tier
 * (plugins/static-limits.ts): depth, aliases, root fields, tokens, directives
 * and fields after fragment expansion.
 *
 * Fragments are measured once each and their measures reused at every spread
 * (memoised by name), so a "fragment bomb" (F1 spreads F0 twice, F2 spreads F1
 * twice, …, 2^29 fields once expanded) is measured in time linear in the
 * document, and its expanded size comes out as the number it is. A fragment
 * that spreads itself, directly or through others (which validation refuses
 * anyway), counts as infinitely large instead of recursing.
 *
 * Measures depend only on the document, so they are computed once per parsed
 * document and kept beside it (WeakMap): Apollo Server's document cache hands
 * the same DocumentNode to every request with the same text.
 */
import {
  Kind,
  TokenKind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type Token,
} from 'graphql';

export interface DocumentMetrics {
  /** Deepest field nesting of the operation (a root field is depth 1). */
  depth: number;
  /** Aliased fields of the operation, fragments expanded. */
  aliases: number;
  /** Fields at the operation's root, fragments expanded. */
  rootFields: number;
  /** Lexical tokens of the whole document, as graphql's parser counts them for `maxTokens`. */
  tokens: number;
  /** Directive applications anywhere in the document. */
  directives: number;
  /** Fields of the operation after fragment expansion (`__typename` included). */
  fields: number;
}

interface SelectionMeasures {
  depth: number;
  aliases: number;
  fields: number;
  /** Fields directly in this selection set, through fragments but not into sub-selections. */
  ownFields: number;
}

const INFINITE: SelectionMeasures = {
  depth: Infinity,
  aliases: Infinity,
  fields: Infinity,
  ownFields: Infinity,
};

const byDocument = new WeakMap<DocumentNode, Map<OperationDefinitionNode, DocumentMetrics>>();

/** The measures of `operation` in `document`, computed once per document and operation. */
export function documentMetrics(document: DocumentNode, operation: OperationDefinitionNode): DocumentMetrics {
  let perOperation = byDocument.get(document);
  if (perOperation === undefined) {
    perOperation = new Map();
    byDocument.set(document, perOperation);
  }
  let metrics = perOperation.get(operation);
  if (metrics === undefined) {
    metrics = measure(document, operation);
    perOperation.set(operation, metrics);
  }
  return metrics;
}

/** Tokens and directives belong to the whole document: counted once however many operations it has. */
const lexical = new WeakMap<DocumentNode, { tokens: number; directives: number }>();

function measure(document: DocumentNode, operation: OperationDefinitionNode): DocumentMetrics {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const memo = new Map<string, SelectionMeasures>();
  const visiting = new Set<string>();

  const selectionSet = (set: SelectionSetNode): SelectionMeasures => {
    const result = { depth: 0, aliases: 0, fields: 0, ownFields: 0 };
    for (const selection of set.selections) {
      let inner: SelectionMeasures;
      switch (selection.kind) {
        case Kind.FIELD: {
          const sub = selection.selectionSet ? selectionSet(selection.selectionSet) : undefined;
          result.ownFields += 1;
          result.fields += 1 + (sub?.fields ?? 0);
          result.aliases += (selection.alias ? 1 : 0) + (sub?.aliases ?? 0);
          result.depth = Math.max(result.depth, 1 + (sub?.depth ?? 0));
          continue;
        }
        case Kind.INLINE_FRAGMENT:
          inner = selectionSet(selection.selectionSet);
          break;
        case Kind.FRAGMENT_SPREAD:
          inner = fragment(selection.name.value);
          break;
      }
      result.ownFields += inner.ownFields;
      result.fields += inner.fields;
      result.aliases += inner.aliases;
      result.depth = Math.max(result.depth, inner.depth);
    }
    return result;
  };

  const fragment = (name: string): SelectionMeasures => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const definition = fragments.get(name);
    // An unknown fragment fails validation; it adds nothing here.
    if (definition === undefined) return { depth: 0, aliases: 0, fields: 0, ownFields: 0 };
    if (visiting.has(name)) return INFINITE;
    visiting.add(name);
    const measured = selectionSet(definition.selectionSet);
    visiting.delete(name);
    memo.set(name, measured);
    return measured;
  };

  const root = selectionSet(operation.selectionSet);
  return {
    depth: root.depth,
    aliases: root.aliases,
    rootFields: root.ownFields,
    ...lexicalCounts(document),
    fields: root.fields,
  };
}

function lexicalCounts(document: DocumentNode): { tokens: number; directives: number } {
  let counts = lexical.get(document);
  if (counts === undefined) {
    counts = countTokens(document);
    lexical.set(document, counts);
  }
  return counts;
}

/**
 * Tokens and directive applications of the parsed document. The parser links
 * every token it read, so this walks that list instead of lexing the text
 * again. Comments are not counted, as the parser's `maxTokens` does not count
 * them; in an executable document every `@` starts a directive application.
 */
function countTokens(document: DocumentNode): { tokens: number; directives: number } {
  let tokens = 0;
  let directives = 0;
  for (let token: Token | null | undefined = document.loc?.startToken; token; token = token.next) {
    if (token.kind === TokenKind.EOF) break;
    if (token.kind === TokenKind.SOF || token.kind === TokenKind.COMMENT) continue;
    tokens++;
    if (token.kind === TokenKind.AT) directives++;
  }
  return { tokens, directives };
}

/**
 * The GraphQL examples a newcomer meets first, as test cases: every ```graphql
 * block of README.md and every operation GraphiQL opens with. A test runs each
 * against the quick-start platform and requires an answer that shows
 * something (`emptiness`).
 */
import { readFileSync } from 'node:fs';
import { Kind, parse } from 'graphql';
import { repoPath } from '../../platform/paths';

export interface Example {
  /** Where it comes from, for the test name: `README.md:123` or `GraphiQL PagesInIdOrder`. */
  source: string;
  query: string;
  operationName?: string;
}

/** Every ```graphql block of a Markdown text, with the line its code starts on. */
export function markdownGraphqlBlocks(markdown: string, file = 'README.md'): Example[] {
  const examples: Example[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```graphql') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    examples.push({ source: `${file}:${start + 1}`, query: lines.slice(start, end).join('\n') });
    i = end;
  }
  return examples;
}

export function readmeExamples(): Example[] {
  return markdownGraphqlBlocks(readFileSync(repoPath('README.md'), 'utf8'));
}

/** The document GraphiQL opens with, read from the page the gateway serves at `/`. */
export function graphiqlDefaultQuery(html: string): string {
  const match = /const config = (\{.*\});/.exec(html);
  if (!match) throw new Error('the GraphiQL page has no inline config');
  return (JSON.parse(match[1]!) as { defaultQuery: string }).defaultQuery;
}

/** One example per named operation of a document. */
export function operationsOf(document: string, source: string): Example[] {
  return parse(document).definitions.flatMap((d) =>
    d.kind === Kind.OPERATION_DEFINITION && d.name
      ? [{ source: `${source} ${d.name.value}`, query: document, operationName: d.name.value }]
      : [],
  );
}

/**
 * What makes an answer show nothing: the paths of `data`'s top-level fields
 * that are null, and of every list, at any depth, that is empty. An example
 * whose answer has any is a README promise the demo does not keep.
 */
export function emptiness(data: Record<string, unknown> | null | undefined): string[] {
  if (!data) return ['data'];
  const found: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value)) {
      if (value.length === 0) found.push(`${path} is []`);
      value.forEach((v, i) => walk(v, `${path}.${i}`));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    }
  };
  for (const [field, value] of Object.entries(data)) {
    if (value === null) found.push(`${field} is null`);
    walk(value, field);
  }
  return found;
}

/**
 * Opaque Relay cursors. A cursor is the keyset position (a page or revision id)
 * with a kind tag, base64url-encoded: stable across calls because the order is by
 * immutable ids, and opaque so clients cannot come to depend on the encoding.
 */
import { GraphQLError } from 'graphql';

export type CursorKind = 'page' | 'rev';

export function encodeCursor(kind: CursorKind, id: number): string {
  return Buffer.from(`${kind}:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: CursorKind, cursor: string | null | undefined): number | null {
  if (cursor === null || cursor === undefined) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^([a-z]+):(\d{1,16})$/.exec(text);
  if (!match || match[1] !== kind) {
    throw new GraphQLError(`"${cursor}" is not a ${kind === 'page' ? 'pages' : 'revisions'} cursor`, {
      extensions: { code: 'BAD_USER_INPUT', argumentName: 'after' },
    });
  }
  return Number(match[2]);
}

export const MAX_PAGE_SIZE = 100;

export function checkPageSize(first: number | null | undefined): number {
  const n = first ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new GraphQLError(`first must be between 1 and ${MAX_PAGE_SIZE}, got ${n}`, {
      extensions: { code: 'BAD_USER_INPUT', argumentName: 'first' },
    });
  }
  return n;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

/**
 * A Relay connection from a keyset read of `first + 1` rows: the extra row only
 * tells whether another page follows, and is not returned.
 */
export function toConnection<T>(
  rows: readonly T[],
  first: number,
  cursorOf: (row: T) => string,
): Connection<T> {
  const edges = rows.slice(0, first).map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

/**
 * Resolvers of the `pages` subgraph. They read only through the request's
 * DataLoaders (see context.ts), hide deleted pages, and apply revision
 * visibility: what MediaWiki hides (comment, editor, content) is null here even
 * though the store keeps the last known value.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError } from 'graphql';
import { badInput, DateTime } from '../../platform/graphql';
import { checkPageSize, decodeCursor, encodeCursor, toConnection } from './cursor';
import { primePages, type PagesContext } from './context';
import type { PageRecord, RevisionRecord } from './model';

/** GraphQL `ID`s arrive as strings; MediaWiki ids are positive integers. */
function parseId(value: unknown, argumentName: string): number {
  const text = String(value);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw badInput(
      `${argumentName} must be a positive integer id, got ${JSON.stringify(value)}`,
      argumentName,
    );
  }
  return Number(text);
}

async function livePage(ctx: PagesContext, wikiId: string, pageId: number): Promise<PageRecord | null> {
  const page = await ctx.pageById.load({ wikiId, pageId });
  return page && !page.isDeleted ? page : null;
}

async function pageByTitle(ctx: PagesContext, wikiId: string, namespace: number, title: string) {
  // pagesByTitle only ever returns live pages.
  return ctx.pageByTitle.load({ wikiId, namespace, title });
}

/** A revision is public only while its page is live (deleted pages keep history as a tombstone). */
async function publicRevision(
  ctx: PagesContext,
  wikiId: string,
  revId: number,
): Promise<RevisionRecord | null> {
  const revision = await ctx.revisionById.load({ wikiId, revId });
  if (!revision) return null;
  return (await livePage(ctx, wikiId, revision.pageId)) ? revision : null;
}

interface PageArgs {
  wikiId: string;
  pageId?: string | null;
  namespace?: number | null;
  title?: string | null;
}

export const resolvers: GraphQLResolverMap<PagesContext> = {
  DateTime,
  Query: {
    page: async (_: unknown, args: PageArgs, ctx: PagesContext) => {
      if (args.pageId !== undefined && args.pageId !== null) {
        const page = await livePage(ctx, args.wikiId, parseId(args.pageId, 'pageId'));
        if (page && args.title && (page.title !== args.title || page.namespace !== (args.namespace ?? 0))) {
          // Both given and they disagree: answering either would be a guess.
          return null;
        }
        return page;
      }
      if (args.title) return pageByTitle(ctx, args.wikiId, args.namespace ?? 0, args.title);
      throw badInput('page needs pageId or title', 'pageId');
    },
    pages: async (
      _: unknown,
      args: { wikiId: string; namespace?: number | null; first?: number | null; after?: string | null },
      ctx: PagesContext,
    ) => {
      const first = checkPageSize(args.first);
      const afterPageId = decodeCursor('page', args.after);
      const rows = await ctx.store.listPages({
        wikiId: args.wikiId,
        namespace: args.namespace ?? null,
        afterPageId,
        limit: first + 1,
      });
      const connection = toConnection(rows, first, (page) => encodeCursor('page', page.pageId));
      primePages(
        ctx,
        connection.edges.map((e) => e.node),
      );
      return connection;
    },
    revision: (_: unknown, args: { wikiId: string; revId: string }, ctx: PagesContext) =>
      publicRevision(ctx, args.wikiId, parseId(args.revId, 'revId')),
  },
  Page: {
    __resolveReference: async (
      ref: { wikiId: string; pageId?: string | number; namespace?: number; title?: string },
      ctx: PagesContext,
    ) => {
      if (ref.pageId !== undefined) return livePage(ctx, ref.wikiId, parseId(ref.pageId, 'pageId'));
      if (ref.title !== undefined) return pageByTitle(ctx, ref.wikiId, ref.namespace ?? 0, ref.title);
      return null;
    },
    redirectTarget: (page: PageRecord, _: unknown, ctx: PagesContext) =>
      page.isRedirect && page.redirectTitle !== null
        ? pageByTitle(ctx, page.wikiId, page.redirectNamespace ?? 0, page.redirectTitle)
        : null,
    latestRevision: (page: PageRecord, _: unknown, ctx: PagesContext) =>
      page.latestRevId === null
        ? null
        : ctx.revisionById.load({ wikiId: page.wikiId, revId: page.latestRevId }),
    revisions: async (
      page: PageRecord,
      args: { first?: number | null; after?: string | null },
      ctx: PagesContext,
    ) => {
      const first = checkPageSize(args.first);
      const beforeRevId = decodeCursor('rev', args.after);
      const rows = await ctx.store.listRevisions({
        wikiId: page.wikiId,
        pageId: page.pageId,
        beforeRevId,
        limit: first + 1,
      });
      const connection = toConnection(rows, first, (revision) => encodeCursor('rev', revision.revId));
      for (const { node } of connection.edges)
        ctx.revisionById.prime({ wikiId: node.wikiId, revId: node.revId }, node);
      return connection;
    },
  },
  Revision: {
    __resolveReference: (ref: { wikiId: string; revId: string | number }, ctx: PagesContext) =>
      publicRevision(ctx, ref.wikiId, parseId(ref.revId, 'revId')),
    page: async (revision: RevisionRecord, _: unknown, ctx: PagesContext) => {
      const page = await livePage(ctx, revision.wikiId, revision.pageId);
      if (!page)
        throw new GraphQLError(`page ${revision.pageId} of revision ${revision.revId} is not available`);
      return page;
    },
    sizeBytes: (r: RevisionRecord) => (r.isContentVisible ? r.sizeBytes : null),
    sha1: (r: RevisionRecord) => (r.isContentVisible ? r.sha1 : null),
    comment: (r: RevisionRecord) => (r.isCommentVisible ? r.comment : null),
    editor: (r: RevisionRecord) =>
      r.isEditorVisible && r.editorName !== null
        ? { __typename: 'User', wikiId: r.wikiId, name: r.editorName }
        : null,
  },
};

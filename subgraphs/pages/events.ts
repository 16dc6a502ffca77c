/**
 * The `pages` product's reading of `mediawiki.page_change.v1` events (the
 * stream's contract: streams/contracts/page-change.ts): each event, already
 * validated against its JSON schema, becomes one `PageChange`.
 */
import { isoToMicros, normaliseIso, type PageChangeEvent } from '../../streams/contracts/page-change';
import type { PageChange } from './model';

export function toPageChange(event: PageChangeEvent): PageChange {
  const { page, revision } = event;
  const kind = event.page_change_kind;
  const dtUs = isoToMicros(event.dt);
  // A redirect to another wiki (interwiki prefix) has no target page here.
  const link =
    page.redirect_page_link && !page.redirect_page_link.interwiki_prefix
      ? page.redirect_page_link
      : undefined;
  const isRedirect = page.is_redirect ?? false;
  return {
    kind,
    page: {
      wikiId: event.wiki_id,
      pageId: page.page_id,
      namespace: page.namespace_id ?? 0,
      title: page.page_title,
      isRedirect,
      redirectNamespace: isRedirect && link?.page_title ? (link.namespace_id ?? 0) : null,
      redirectTitle: isRedirect && link?.page_title ? link.page_title : null,
      latestRevId: kind === 'visibility_change' ? null : revision.rev_id,
      isDeleted: kind === 'delete',
      version: { dtUs, revId: revision.rev_id },
    },
    revision: {
      wikiId: event.wiki_id,
      revId: revision.rev_id,
      pageId: page.page_id,
      // MediaWiki writes 0 for "no parent" (a page's first revision).
      parentRevId: revision.rev_parent_id ? revision.rev_parent_id : null,
      timestamp: normaliseIso(revision.rev_dt),
      sizeBytes: revision.rev_size ?? null,
      sha1: revision.rev_sha1 ?? null,
      isMinorEdit: revision.is_minor_edit ?? false,
      comment: revision.comment ?? null,
      editorName: revision.editor?.user_text ?? null,
      editorId: revision.editor?.user_id ?? null,
      isCommentVisible: revision.is_comment_visible ?? true,
      isContentVisible: revision.is_content_visible ?? true,
      isEditorVisible: revision.is_editor_visible ?? true,
      visibilityDtUs: dtUs,
    },
  };
}

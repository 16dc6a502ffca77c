/**
 * How `editstats` consumes `mediawiki.page_change.v1`. The stream's contract
 * (name, schema title, key, domain checks) is the `pages` product's, imported
 * so the two bindings of one stream cannot drift apart: `streamBindings()`
 * lets the first product in name order, which is this one, stand for the
 * stream when producers validate and key events.
 */
import type { StreamBinding } from '../../platform/product';
import {
  PAGE_CHANGE_SCHEMA_TITLE,
  PAGE_CHANGE_STREAM,
  pageChangeInvalidReason,
  pageChangeKey,
  type PageChangeEvent,
} from '../../streams/contracts/page-change';
import { editRecords } from './rollup';
import type { EditStatsStore } from './store/port';

export const editStatsPageChangeBinding: StreamBinding<EditStatsStore, PageChangeEvent> = {
  stream: PAGE_CHANGE_STREAM,
  schemaTitle: PAGE_CHANGE_SCHEMA_TITLE,
  invalidReason: pageChangeInvalidReason,
  key: pageChangeKey,
  apply: (store, events) => store.applyEdits(editRecords(events.map((e) => e.event))),
};

/**
 * `analytics/pageview_hourly` 1.x events (stream `analytics.pageview_hourly`):
 * one article's view counts for one hour, by access method × agent type, and
 * their normalisation into `PageviewHour`. The JSON schema
 * (schema/events/analytics/pageview_hourly/) is the contract and has validated
 * every event that reaches `toPageviewHour`; the domain checks here are what it
 * cannot express, and the dump loader runs its lines through the same checks.
 */
import { MAX_HOURLY_CELL, hourlyColumn, type HourlyCells, type PageviewHour } from './model';
import { namespaceOfTitle } from './namespaces';
import { projectOfWiki } from './projects';
import { hourOfIso } from './timestamps';

export const PAGEVIEW_HOURLY_STREAM = 'analytics.pageview_hourly';
export const PAGEVIEW_HOURLY_SCHEMA_TITLE = 'analytics/pageview_hourly';
export const PAGEVIEW_HOURLY_SCHEMA_URI = '/analytics/pageview_hourly/1.0.0';

export interface AgentCounts {
  user?: number;
  spider?: number;
  automated?: number;
}

export interface PageviewHourlyEvent {
  $schema: string;
  meta: { stream: string; domain?: string; dt?: string; id?: string; request_id?: string; uri?: string };
  /** Start of the hour counted. */
  dt: string;
  wiki_id: string;
  namespace_id: number;
  page_title: string;
  /** Counts measured for the hour; an access method or agent type left out was not measured. */
  views: { desktop?: AgentCounts; mobile_app?: AgentCounts; mobile_web?: AgentCounts };
}

/** MediaWiki caps titles at 255 bytes of UTF-8. */
export const MAX_TITLE_BYTES = 255;

/** Why a normalised hour cannot be stored, or null when it can. Paths name the event fields. */
export function pageviewHourInvalidReason(h: PageviewHour): string | null {
  if (!h.project) return `/wiki_id ${JSON.stringify(h.wikiId)} is not a wiki with an AQS project`;
  if (h.title === '' || /[\s\p{Cc}]/u.test(h.title))
    return '/page_title must be non-empty, with underscores for spaces and no control characters';
  if (Buffer.byteLength(h.title) > MAX_TITLE_BYTES)
    return `/page_title is longer than ${MAX_TITLE_BYTES} bytes`;
  const derived = namespaceOfTitle(h.wikiId, h.title);
  if (derived !== 0 && derived !== h.namespace)
    return `/namespace_id is ${h.namespace} but the title's prefix is namespace ${derived} on ${h.wikiId}`;
  if (h.namespace !== 0 && !h.title.includes(':'))
    return `/namespace_id is ${h.namespace} but the title has no namespace prefix`;
  const cells = Object.entries(h.cells);
  if (cells.length === 0) return '/views has no counts';
  for (const [column, n] of cells) {
    if (!Number.isInteger(n) || n! < 0 || n! > MAX_HOURLY_CELL)
      return `count ${column}=${n} is not an integer between 0 and ${MAX_HOURLY_CELL}`;
  }
  return null;
}

/** The event's hour key, or null when `dt` is not an hour's start. */
function eventHour(event: PageviewHourlyEvent): string | null {
  return hourOfIso(event.dt);
}

export function toPageviewHour(event: PageviewHourlyEvent): PageviewHour {
  const cells: HourlyCells = {};
  const accesses = [
    ['desktop', event.views.desktop],
    ['mobile-app', event.views.mobile_app],
    ['mobile-web', event.views.mobile_web],
  ] as const;
  for (const [access, counts] of accesses) {
    if (!counts) continue;
    for (const agent of ['user', 'spider', 'automated'] as const) {
      const n = counts[agent];
      if (n !== undefined) cells[hourlyColumn(access, agent)] = n;
    }
  }
  // An unmappable wiki or a dt off the hour leaves '' here, which pageviewHourInvalidReason
  // refuses: ingest dead-letters such events before any reaches a store.
  return {
    wikiId: event.wiki_id,
    project: projectOfWiki(event.wiki_id) ?? '',
    namespace: event.namespace_id,
    title: event.page_title,
    hour: eventHour(event) ?? '',
    cells,
  };
}

/** Why an otherwise schema-valid event cannot be stored, or null when it can. */
export function pageviewHourlyInvalidReason(event: PageviewHourlyEvent): string | null {
  if (eventHour(event) === null) return `/dt ${event.dt} is not the start of an hour (UTC)`;
  return pageviewHourInvalidReason(toPageviewHour(event));
}

/** Kafka message key: one article's hours share a partition, so they are applied in order. */
export function pageviewHourlyKey(event: PageviewHourlyEvent): { wiki_id: string; page_title: string } {
  return { wiki_id: event.wiki_id, page_title: event.page_title };
}

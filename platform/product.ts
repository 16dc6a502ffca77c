/**
 * What a domain data product is, to the platform.
 *
 * A product folder (`subgraphs/<name>/`) exports one `DataProduct` from its
 * `product.ts`; the platform discovers the folders, opens each product's store,
 * serves its subgraph and runs its stream ingest. Nothing in `gateway/` or
 * `platform/` names a product, so adding one is a new folder plus its SDL in
 * `schema/` and its event schemas in `schema/events/`.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { Logger } from 'pino';
import type { SdpConfig } from '../config/env';
import type { Principal } from './principal';

export interface ProductRuntime {
  config: SdpConfig;
  logger: Logger;
}

/** What the platform needs of every product's store. */
export interface ProductStore {
  /** Human-readable, for start-up logs, e.g. `mariadb 127.0.0.1:3306/test`. */
  readonly description: string;
  /** True when state outlives the process; false → streams are replayed from the start on every start. */
  readonly durable: boolean;
  /**
   * Removes everything the product derived from its streams, keeping the
   * schema: the first step of `sdp rebuild`, which then replays the log. A
   * store without it cannot be rebuilt.
   */
  reset?(): Promise<void>;
  close(): Promise<void>;
}

/** An event that passed JSON-schema validation, with where it came from in the log. */
export interface ValidEvent<TEvent> {
  event: TEvent;
  topic: string;
  partition: number;
  offset: string;
}

/** How a product consumes one stream. */
export interface StreamBinding<TStore, TEvent = unknown> {
  /** Stream name, e.g. `mediawiki.page_change.v1`; the topic is the config's prefix + this. */
  stream: string;
  /**
   * Schema title, e.g. `mediawiki/page/change`. Each event is validated against the
   * schema its own `$schema` names, which must be a version of this title that
   * `schema/events/` holds; anything else is dead-lettered.
   */
  schemaTitle: string;
  /**
   * Domain checks the JSON schema cannot express (e.g. a title longer than the
   * store can hold). A reason dead-letters the event like a schema violation;
   * without this, an event the store must refuse would fail its batch forever
   * and stall the partition behind it.
   */
  invalidReason?(event: TEvent): string | null;
  /** Kafka message key, as Wikimedia keys the stream (page_change: `{wiki_id, page_id}`). */
  key(event: TEvent): Record<string, unknown>;
  /**
   * Applies valid events in log order. Must be idempotent and order-safe: a
   * redelivered or older event never overwrites newer state. Offsets are
   * committed only after the returned promise resolves.
   */
  apply(store: TStore, events: ValidEvent<TEvent>[]): Promise<void>;
}

/** What `sdp load` hands a product's loader besides its store and the files. */
export interface LoadOptions {
  logger: Logger;
  /** Called with each chunk's size as input bytes are read (compressed bytes for compressed files), for progress. */
  onBytes?(bytes: number): void;
  /** Memory the loader may hold its gathered input in (`sdp load --memory`); loaders that gather spill beyond it. */
  memoryBytes?: number;
}

/** What a bulk load did, in the product's own units, for `sdp load`'s summary. */
export interface LoadSummary {
  /** Input records read (e.g. dump lines). */
  records: number;
  /** Rows written to the store. */
  rows: number;
  /** Records not loaded, by reason (e.g. `unmapped domain code`). */
  skipped: Record<string, number>;
}

/**
 * A loader's refusal of its input as given (a file named so that it cannot say
 * what it holds, a file that cannot be read), raised before anything is
 * written: `sdp load` reports it as a usage error (exit code 2).
 */
export class LoadInputError extends Error {
  override name = 'LoadInputError';
}

/** A product's bulk loader, run by `sdp load <product> <file>...`. */
export interface ProductLoader<TStore> {
  /** What files it takes, for `sdp load`'s usage, e.g. `Wikimedia hourly pageviews dumps (pageviews-YYYYMMDD-HH0000[.gz])`. */
  accepts: string;
  /**
   * Loads the files into the store. Must be idempotent (loading a file twice
   * leaves the store as loading it once) and must reject an unusable file
   * before writing anything from any file, with a LoadInputError.
   */
  load(store: TStore, files: readonly string[], options: LoadOptions): Promise<LoadSummary>;
}

/** What a product's request context may know about the request it serves. */
export interface ProductRequest {
  /** Who the gateway asks for (a verified assertion). */
  principal: Principal;
  /** Aborted at the request's deadline or when its caller disconnects (platform/deadline.ts). */
  signal: AbortSignal;
}

export interface DataProduct<TStore extends ProductStore = ProductStore, TContext extends object = object> {
  /** Subgraph name in the supergraph; also the folder name and the consumer group suffix. */
  name: string;
  description: string;
  /** Owning team, for the catalog. */
  owner: string;
  /** A named GraphQL operation showing the product off; GraphiQL opens with every product's example. */
  exampleQuery: string;
  /** Added to SDP_SUBGRAPH_PORT_BASE to get this product's subgraph port. */
  portOffset: number;
  /** Path of the product's SDL (schema/<name>.graphql). */
  sdlPath: string;
  /** Opens the store the config selects (a real server or the embedded default), migrated. */
  openStore(runtime: ProductRuntime): Promise<TStore>;
  resolvers: GraphQLResolverMap<TContext>;
  /**
   * Per-request context: fresh DataLoaders over the store, so batching never
   * leaks across requests. `request.principal` is who the gateway asks for,
   * from its verified assertion (platform/assertion.ts): trustworthy for
   * row-level rules. `request.signal` is aborted when the gateway's deadline
   * passes or the caller goes away: stop reading the store then.
   */
  context(store: TStore, request?: ProductRequest): TContext;
  // The event type differs per binding; each binding is typed where it is declared.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  streams: StreamBinding<TStore, any>[];
  /** Bulk loading from files (`sdp load <product> <file>...`); products without one cannot be loaded that way. */
  loader?: ProductLoader<TStore>;
}

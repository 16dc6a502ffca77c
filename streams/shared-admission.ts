/**
 * One parse and one schema validation per message for every ingest of a
 * process that reads it. Three products consume `mediawiki.page_change.v1`
 * (pages, users, editstats), each in its own consumer group, so in
 * `sdp start` every event is fetched three times; without this it was also
 * parsed and validated three times, a third of the platform's ingest CPU
 * (W4R profile: JSON.parse, ajv and the date-time check ≈ 35 % of busy time).
 *
 * The ingests of one process register the (topic, schema title) they read.
 * The first to check a message keeps its result, keyed by topic, partition and
 * offset, until every other registered ingest has taken it; a message is
 * immutable once in the log, and the value's bytes are compared too, so a
 * topic deleted and recreated (offsets reused) can never hand out another
 * message's result. Each binding's own domain checks still run per binding.
 * The kept results are bounded (`maxEntries`, oldest dropped first): an ingest
 * far behind the others, or one that never reads an offset (a partition
 * assigned to another member), finds nothing and simply checks again.
 *
 * Shared events are read by several products' bindings, so bindings must treat
 * `ValidEvent.event` as read-only (test/streams/shared-admission.test.ts runs
 * every product's binding on deep-frozen events).
 */
import { admitToSchema, type Admission } from './check';
import type { LogMessage } from './port';
import type { EventSchemas } from './schemas';

interface Entry {
  value: Buffer | null;
  admission: Admission<unknown>;
  /** Registered readers that have not taken it yet. */
  pending: number;
}

export interface SharedAdmissionStats {
  /** Checks answered from another ingest's result. */
  hits: number;
  /** Checks done here (first reader, an evicted result, or a sole reader). */
  checks: number;
  /** Results kept now. */
  kept: number;
}

/**
 * Results kept at most. A generated page_change event (≈ 2.0 kB of JSON)
 * parses to ≈ 2.2 kB of heap (measured over 20,000), so this bounds the kept
 * events at ≈ 45 MB, plus the message bytes they are compared with (views of
 * kafkajs' inflated batches, which stay alive while one of their messages is
 * kept). Consumers of one process drift apart only as far as their stores'
 * speeds differ; one further behind than this checks again, as it would alone.
 */
export const DEFAULT_MAX_SHARED_ENTRIES = 20_000;

export class SharedAdmission {
  private readonly entries = new Map<string, Entry>();
  private readonly readers = new Map<string, number>();
  private hits = 0;
  private checks = 0;

  constructor(
    private readonly schemas: EventSchemas,
    private readonly maxEntries = DEFAULT_MAX_SHARED_ENTRIES,
  ) {}

  /** An ingest reads `topic` as `schemaTitle`; the returned function unregisters it. */
  register(topic: string, schemaTitle: string): () => void {
    const stream = `${topic}\u0000${schemaTitle}`;
    this.readers.set(stream, (this.readers.get(stream) ?? 0) + 1);
    let registered = true;
    return () => {
      if (!registered) return;
      registered = false;
      const left = (this.readers.get(stream) ?? 1) - 1;
      if (left > 0) this.readers.set(stream, left);
      else this.readers.delete(stream);
      // Results kept for a reader that has gone would only wait for eviction.
      if (left <= 1) {
        for (const key of this.entries.keys())
          if (key.startsWith(`${stream}\u0000`)) this.entries.delete(key);
      }
    };
  }

  /** The message parsed and validated against `schemaTitle`'s schema, computed once for all its readers. */
  admit(message: LogMessage, schemaTitle: string): Admission<unknown> {
    const stream = `${message.topic}\u0000${schemaTitle}`;
    const others = (this.readers.get(stream) ?? 1) - 1;
    if (others <= 0) {
      this.checks++;
      return admitToSchema(message.value, this.schemas, schemaTitle);
    }
    const key = `${stream}\u0000${message.partition}\u0000${message.offset}`;
    const entry = this.entries.get(key);
    if (entry && sameBytes(entry.value, message.value)) {
      this.hits++;
      if (--entry.pending <= 0) this.entries.delete(key);
      return entry.admission;
    }
    this.checks++;
    const admission = admitToSchema(message.value, this.schemas, schemaTitle);
    // Re-inserted at the end, so eviction drops the oldest first.
    this.entries.delete(key);
    this.entries.set(key, { value: message.value, admission, pending: others });
    if (this.entries.size > this.maxEntries) {
      for (const old of this.entries.keys()) {
        this.entries.delete(old);
        if (this.entries.size <= this.maxEntries) break;
      }
    }
    return admission;
  }

  stats(): SharedAdmissionStats {
    return { hits: this.hits, checks: this.checks, kept: this.entries.size };
  }
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

/**
 * The audit stream `sdp.audit.v1` (schema/events/sdp/audit/1.0.0.json): one
 * event per operation that returned or was denied protected fields, and one
 * per API key change.
 *
 * Events go to the platform's event log (Kafka, or the embedded log) like every
 * other stream, validated against their schema first. The embedded log lives
 * in one process's memory, so with it (or with no log at all, as for `sdp keys`
 * without Kafka) every event is also appended to
 * `<SDP_DATA_DIR>/audit/sdp.audit.v1.ndjson`, synced to disk before `write`
 * resolves, where `sdp audit tail` in another process reads it.
 *
 * `write` rejects when the event could not be recorded; the authorization
 * plugin then withholds the protected fields (fail closed).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { topicFor, type SdpConfig } from '../../config/env';
import type { EventLog, LogProducer } from '../../streams/port';
import type { EventSchemas } from '../../streams/schemas';

export const AUDIT_STREAM = 'sdp.audit.v1';
export const AUDIT_SCHEMA = '/sdp/audit/1.0.0';
const AUDIT_TITLE = 'sdp/audit';

export interface AuditPrincipal {
  id: string;
  kind: 'anonymous' | 'api-key' | 'jwt' | 'cli';
  name: string;
  scopes: string[];
}

export interface AuditEvent {
  $schema: typeof AUDIT_SCHEMA;
  meta: { stream: string; id: string; dt: string; request_id?: string };
  dt: string;
  kind: 'read' | 'key';
  principal: AuditPrincipal;
  client?: { name?: string; version?: string; address?: string };
  operation?: { name: string | null; document_sha256: string; purpose?: string };
  fields?: { coordinate: string; returned: number; denied: number }[];
  key?: {
    action: 'created' | 'revoked' | 'scopes-changed';
    id: string;
    name: string;
    scopes: string[];
    expires_at?: string | null;
  };
  outcome: 'served' | 'partial' | 'denied' | 'rejected' | 'changed';
}

/** An event without the envelope `write` fills in. */
export type AuditRecord = Omit<AuditEvent, '$schema' | 'meta'> & { requestId?: string };

export interface AuditSink {
  /** Where events go, for start-up logs. */
  readonly description: string;
  /** Resolves once the event is recorded; rejects when it could not be. */
  write(record: AuditRecord): Promise<AuditEvent>;
  close(): Promise<void>;
}

export function auditFile(dataDir: string): string {
  return path.resolve(dataDir, 'audit', `${AUDIT_STREAM}.ndjson`);
}

/**
 * Appends lines to a file with group commit: lines that arrive while a write
 * and its fsync are under way go together in the next one, so a burst of
 * audited requests costs one sync per batch rather than one each.
 */
class DurableAppender {
  private handle: Promise<FileHandle> | undefined;
  private pending: { line: string; done: (error?: unknown) => void }[] = [];
  private flushing = false;

  constructor(readonly file: string) {}

  append(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ line, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        this.handle ??= mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 }).then(() =>
          open(this.file, 'a', 0o600),
        );
        const handle = await this.handle;
        await handle.appendFile(batch.map((b) => b.line).join(''));
        await handle.datasync();
        for (const b of batch) b.done();
      } catch (error) {
        this.handle = undefined;
        for (const b of batch) b.done(error);
      }
    }
    this.flushing = false;
  }

  async close(): Promise<void> {
    const handle = await this.handle?.catch(() => undefined);
    this.handle = undefined;
    await handle?.close();
  }
}

export interface AuditSinkOptions {
  config: Pick<SdpConfig, 'topicPrefix'> & { access: { dataDir: string } };
  schemas: EventSchemas;
  /** The event log to write to; without one (or with the embedded log) the durable file is written too. */
  log?: EventLog;
  logger: Logger;
}

export async function openAuditSink(options: AuditSinkOptions): Promise<AuditSink> {
  const { log, schemas } = options;
  const topic = topicFor(options.config, AUDIT_STREAM);
  const producer: LogProducer | undefined = log ? await log.producer() : undefined;
  const file =
    !log || log.kind === 'embedded'
      ? new DurableAppender(auditFile(options.config.access.dataDir))
      : undefined;
  const description = [
    log ? `${log.description} topic ${topic}` : undefined,
    file ? `file ${file.file}` : undefined,
  ]
    .filter(Boolean)
    .join(' + ');
  return {
    description,
    async write(record) {
      const { requestId, ...rest } = record;
      const event: AuditEvent = {
        $schema: AUDIT_SCHEMA,
        meta: {
          stream: AUDIT_STREAM,
          id: randomUUID(),
          dt: new Date().toISOString(),
          ...(requestId === undefined ? {} : { request_id: requestId }),
        },
        ...rest,
      };
      const validation = schemas.validate(event, AUDIT_TITLE);
      if (!validation.ok) throw new Error(`audit event does not match ${AUDIT_SCHEMA}: ${validation.reason}`);
      const value = JSON.stringify(event);
      await Promise.all([
        producer?.send(topic, [{ key: event.principal.id, value }]),
        file?.append(value + '\n'),
      ]);
      return event;
    },
    async close() {
      await producer?.close();
      await file?.close();
    },
  };
}

export interface AuditFilter {
  principal?: string;
  since?: Date;
}

export function matches(event: AuditEvent, filter: AuditFilter): boolean {
  if (
    filter.principal !== undefined &&
    event.principal.id !== filter.principal &&
    event.principal.name !== filter.principal
  ) {
    return false;
  }
  if (filter.since !== undefined && Date.parse(event.dt) < filter.since.getTime()) return false;
  return true;
}

/** The events of the durable file, oldest first; a torn last line (a crash mid-write) is skipped. */
export async function readAuditFile(dataDir: string): Promise<AuditEvent[]> {
  let text: string;
  try {
    text = await readFile(auditFile(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const events: AuditEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as AuditEvent);
    } catch {
      // Only the last line can be torn; anything else is skipped the same way rather than stopping the reader.
    }
  }
  return events;
}

/**
 * The one admission check for stream events, used on both sides of the log:
 * producers (`sdp produce`, the demo feeder) refuse what consumers would
 * dead-letter, and the ingest dead-letters with the same reasons. An event is
 * admitted when it parses, validates against the schema its own `$schema` names
 * (a version of the binding's schema title), and passes the binding's domain checks.
 */
import type { StreamBinding } from '../platform/product';
import type { OutgoingMessage } from './port';
import type { EventSchemas } from './schemas';

export type Admission<TEvent> = { event: TEvent } | { reason: string };

/** Why `event` must not enter the binding's stream, or null when it may. */
export function rejectReason<TEvent>(
  event: unknown,
  schemas: EventSchemas,
  binding: Pick<StreamBinding<unknown, TEvent>, 'schemaTitle' | 'invalidReason'>,
): string | null {
  const result = schemas.validate(event, binding.schemaTitle);
  if (!result.ok) return result.reason;
  return binding.invalidReason?.(event as TEvent) ?? null;
}

/**
 * The half of `admit` that depends only on the bytes and the schema title: the
 * value parsed and validated against its schema, without any binding's domain
 * checks. Several products consuming one stream share this result
 * (streams/shared-admission.ts).
 */
export function admitToSchema(
  value: Buffer | string | null,
  schemas: EventSchemas,
  schemaTitle: string,
): Admission<unknown> {
  if (value === null) return { reason: 'message has no value (tombstone)' };
  let event: unknown;
  try {
    event = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (err) {
    return { reason: `value is not JSON: ${(err as Error).message}` };
  }
  const result = schemas.validate(event, schemaTitle);
  return result.ok ? { event } : { reason: result.reason };
}

/** The binding's domain checks on a schema-admitted event: `admit` = `admitToSchema` then this. */
export function admitToBinding<TEvent>(
  admitted: Admission<unknown>,
  binding: Pick<StreamBinding<unknown, TEvent>, 'invalidReason'>,
): Admission<TEvent> {
  if ('reason' in admitted) return admitted;
  const reason = binding.invalidReason?.(admitted.event as TEvent) ?? null;
  return reason === null ? { event: admitted.event as TEvent } : { reason };
}

/** Parses a message value (or an NDJSON line) and checks the event it holds. */
export function admit<TEvent>(
  value: Buffer | string | null,
  schemas: EventSchemas,
  binding: Pick<StreamBinding<unknown, TEvent>, 'schemaTitle' | 'invalidReason'>,
): Admission<TEvent> {
  return admitToBinding(admitToSchema(value, schemas, binding.schemaTitle), binding);
}

/**
 * An admitted event as a log message, keyed as the binding keys its stream so one
 * entity's events share a partition. `value` defaults to the event's JSON; a
 * producer relaying input passes the original text.
 */
export function toMessage<TEvent>(
  binding: Pick<StreamBinding<unknown, TEvent>, 'key'>,
  event: TEvent,
  value: string = JSON.stringify(event),
): OutgoingMessage {
  return { key: JSON.stringify(binding.key(event)), value };
}

/**
 * `sdp keys create|list|revoke|scopes`: the gateway's API keys
 * (gateway/authentication/key-store.ts). A new key is printed once; only its
 * hash is kept, in MariaDB when SDP_MARIADB_URL is set, else under
 * SDP_DATA_DIR. A running gateway sees the change within seconds. Every change
 * is an `sdp.audit.v1` event (kind `key`), written before the command reports
 * success.
 *
 * Exit codes: 0 done; 1 failed (store or audit unreachable, no such key); 2 usage
 * or configuration error.
 */
import os from 'node:os';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { openAuditSink, type AuditPrincipal } from '../gateway/audit/audit-log';
import {
  checkScope,
  generateKey,
  hashKey,
  openKeyStore,
  parseDuration,
  type ApiKeyRecord,
} from '../gateway/authentication/key-store';
import { createEventLog } from '../streams';
import { loadEventSchemas } from '../streams/schemas';
import { commandConfig } from './config';
import { describeError } from './sdp';

export interface KeysIo {
  stdout: Writable;
  stderr: Writable;
}

const USAGE = [
  'usage: sdp keys create --name <name> --scopes <a,b> [--expires 90d]',
  '       sdp keys list',
  '       sdp keys revoke <key id>',
  '       sdp keys scopes <key id> --scopes <a,b>',
  '',
  'API keys for the gateway, sent as `Authorization: Bearer <key>`. A new key is printed once;',
  'only its hash is stored. Scopes: e.g. pii:read (personal data), oversight:read.',
].join('\n');

class UsageError extends Error {}

function scopesOf(text: string | undefined): string[] {
  if (text === undefined) throw new UsageError('--scopes is required (comma-separated; "" for none)');
  return [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ].map((s) => {
    try {
      return checkScope(s);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });
}

/** Who ran the command, as the audit records it. */
function operator(): AuditPrincipal {
  const user = os.userInfo().username;
  return { id: `cli:${user}@${os.hostname()}`, kind: 'cli', name: user, scopes: [] };
}

function describe(record: ApiKeyRecord, now = Date.now()): string {
  const state =
    record.revokedAt !== null
      ? `revoked ${record.revokedAt}`
      : record.expiresAt !== null && Date.parse(record.expiresAt) <= now
        ? `expired ${record.expiresAt}`
        : record.expiresAt !== null
          ? `active until ${record.expiresAt}`
          : 'active';
  return `${record.id}  ${record.name}  scopes: ${record.scopes.join(',') || '(none)'}  ${state}  created ${record.createdAt}`;
}

export async function keysCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: KeysIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const out = (text: string) => io.stdout.write(text + '\n');
  const err = (text: string) => io.stderr.write(text + '\n');
  const [action, ...rest] = argv;
  if (!action || action === '-h' || action === '--help') {
    (action ? out : err)(USAGE);
    return action ? 0 : 2;
  }
  let values: { name?: string; scopes?: string; expires?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: { name: { type: 'string' }, scopes: { type: 'string' }, expires: { type: 'string' } },
      allowPositionals: true,
    }));
  } catch (error) {
    err(`sdp keys: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const config = commandConfig('keys', env, err);
  if (!config) return 2;

  // Validate the whole command line before opening anything.
  let plan: () => Promise<number>;
  try {
    if (action === 'create') {
      if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
      const name = values.name?.trim();
      if (!name || name.length > 200) throw new UsageError('--name is required (1-200 characters)');
      const scopes = scopesOf(values.scopes);
      let lifetime: number | undefined;
      if (values.expires !== undefined) {
        try {
          lifetime = parseDuration(values.expires);
        } catch (error) {
          throw new UsageError(`--expires: ${(error as Error).message}`);
        }
      }
      plan = async () => {
        const { id, key } = generateKey();
        const now = new Date();
        const record: ApiKeyRecord = {
          id,
          name,
          scopes,
          hash: hashKey(key),
          createdAt: now.toISOString(),
          expiresAt: lifetime === undefined ? null : new Date(now.getTime() + lifetime).toISOString(),
          revokedAt: null,
        };
        await withStores(async ({ store, audit }) => {
          await store.insert(record);
          await audit(record, 'created');
        });
        out(key);
        err(
          `key ${id} "${name}" created, scopes: ${scopes.join(',') || '(none)'}${record.expiresAt ? `, expires ${record.expiresAt}` : ''}.`,
        );
        err('This is the only time the key is shown; send it as `Authorization: Bearer <key>`.');
        return 0;
      };
    } else if (action === 'list') {
      if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
      plan = async () => {
        await withStores(async ({ store }) => {
          const keys = await store.list();
          if (keys.length === 0) err('no keys');
          for (const record of keys) out(describe(record));
        }, false);
        return 0;
      };
    } else if (action === 'revoke' || action === 'scopes') {
      const [id, ...extra] = positionals;
      if (!id || extra.length > 0) throw new UsageError(`sdp keys ${action} takes one key id`);
      const scopes = action === 'scopes' ? scopesOf(values.scopes) : undefined;
      plan = async () => {
        let found = true;
        await withStores(async ({ store, audit }) => {
          const updated = await store.update(
            id,
            scopes === undefined ? { revokedAt: new Date().toISOString() } : { scopes },
          );
          if (!updated) {
            found = false;
            return;
          }
          await audit(updated, scopes === undefined ? 'revoked' : 'scopes-changed');
          err(describe(updated));
        });
        if (!found) {
          err(`sdp keys: no key ${JSON.stringify(id)} (see sdp keys list)`);
          return 1;
        }
        return 0;
      };
    } else {
      throw new UsageError(`unknown action "${action}"`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`sdp keys: ${error.message}\n\n${USAGE}`);
    return 2;
  }

  const withStores = async (
    work: (stores: {
      store: Awaited<ReturnType<typeof openKeyStore>>;
      audit: (record: ApiKeyRecord, action: 'created' | 'revoked' | 'scopes-changed') => Promise<void>;
    }) => Promise<void>,
    audited = true,
  ) => {
    const logger = pino({ level: 'silent' });
    const store = await openKeyStore({ mariadbUrl: config.mariadbUrl, dataDir: config.access.dataDir });
    const log = audited && config.kafkaBrokers ? createEventLog(config, logger) : undefined;
    const sink = audited
      ? await openAuditSink({ config, schemas: loadEventSchemas(), log, logger })
      : undefined;
    try {
      await work({
        store,
        audit: async (record, keyAction) => {
          await sink!.write({
            dt: new Date().toISOString(),
            kind: 'key',
            principal: operator(),
            key: {
              action: keyAction,
              id: record.id,
              name: record.name,
              scopes: record.scopes,
              expires_at: record.expiresAt,
            },
            outcome: 'changed',
          });
        },
      });
    } finally {
      await sink?.close();
      await log?.close();
      await store.close();
    }
  };

  try {
    return await plan();
  } catch (error) {
    err(`sdp keys: ${describeError(error)}`);
    return 1;
  }
}

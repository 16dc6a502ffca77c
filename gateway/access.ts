/**
 * The gateway's access policy as the configuration describes it (README
 * "Access and policy"): the key store and JWKS behind authentication, the
 * audit sink, the policy module, CORS and the subgraph secret, opened together
 * for `sdp start` and `sdp gateway`.
 */
import type { Logger } from 'pino';
import type { SdpConfig } from '../config/env';
import type { EventLog } from '../streams/port';
import { loadEventSchemas } from '../streams/schemas';
import { openAuditSink } from './audit/audit-log';
import { Authenticator } from './authentication/authenticator';
import { openKeyStore } from './authentication/key-store';
import { loadPolicyModule } from './policy/policies';
import type { GatewayAccess } from './server';

export interface OpenedAccess {
  access: GatewayAccess;
  /** Where keys and audit events are kept, for start-up messages. */
  keyStore: string;
  audit: string;
  close(): Promise<void>;
}

export async function openGatewayAccess(options: {
  config: SdpConfig;
  logger: Logger;
  /** The event log the audit stream goes to; without one, the durable file under SDP_DATA_DIR only. */
  log?: EventLog;
  /** Overrides SDP_SUBGRAPH_SECRET (`sdp start` makes one when it is unset). */
  subgraphSecret?: string;
}): Promise<OpenedAccess> {
  const { config, logger } = options;
  const policies = loadPolicyModule(config.access.policyModule);
  const keyStore = await openKeyStore({ mariadbUrl: config.mariadbUrl, dataDir: config.access.dataDir });
  try {
    const authenticator = await Authenticator.create({
      access: config.access,
      keyStore,
      logger: logger.child({ component: 'authentication' }),
    });
    const audit = await openAuditSink({
      config,
      schemas: loadEventSchemas(),
      log: options.log,
      logger: logger.child({ component: 'audit' }),
    });
    return {
      access: {
        authenticator,
        subgraphSecret: options.subgraphSecret ?? config.access.subgraphSecret,
        corsOrigins: config.access.corsOrigins,
        rejectUnauthorized: config.access.rejectUnauthorized,
        sensitiveScopes: config.access.sensitiveScopes,
        policies,
        audit,
      },
      keyStore: keyStore.description,
      audit: audit.description,
      async close() {
        authenticator.close();
        await audit.close();
        await keyStore.close();
      },
    };
  } catch (error) {
    await keyStore.close();
    throw error;
  }
}

/**
 * The access policy, enforced where every operation passes: after Apollo Server
 * has parsed and validated the document, before the engine plans it.
 *
 * Protected fields (gateway/policy/requirements.ts: federation's
 * `@authenticated`, `@requiresScopes`, `@policy`, and sdp's `@sensitive`) the
 * principal may not read are taken out of the operation (gateway/policy/authorize.ts)
 * and registered as an operation rewrite (gateway/execution/operation-rewrite.ts),
 * which the engine executes on every path: its fast path, the stock
 * ApolloGateway behind it, and every entity fetch either makes. No subgraph is
 * asked for a denied field. Each comes back `null` with an
 * `UNAUTHORIZED_FIELD_OR_TYPE` error at its path and ordinary null propagation,
 * and the rest is served, as Apollo Router does; with SDP_AUTHZ_REJECT_UNAUTHORIZED
 * the whole request is refused (403) instead.
 *
 * Every operation that returned or was denied protected values leaves one
 * `sdp.audit.v1` event (gateway/audit/audit-log.ts), written before the answer
 * leaves: if it cannot be written, the protected values are withheld too
 * (`AUDIT_UNAVAILABLE`), never served unaudited.
 *
 * Introspection is untouched: the schema, protected fields included, is public.
 * Documents without protected fields (most of them) cost one cache lookup.
 */
import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import type { GatewayContext } from '../context';
import { setOperationRewrite } from '../execution/operation-rewrite';
import type { AuditRecord, AuditSink } from '../audit/audit-log';
import {
  analyzeDocument,
  completeResult,
  grantsKey,
  planAuthorization,
  UNAUTHORIZED_CODE,
  type AuthorizationPlan,
  type DocumentAnalysis,
  type FieldCount,
} from '../policy/authorize';
import { PURPOSE_HEADER, type PolicyDecider } from '../policy/policies';
import type { AccessRules } from '../policy/requirements';

export const AUDIT_UNAVAILABLE_CODE = 'AUDIT_UNAVAILABLE';
/** Plans kept per document and operation: one per distinct set of grants that matters to it. */
const MAX_PLANS_PER_OPERATION = 64;

export interface AuthorizationOptions {
  rules: AccessRules;
  rejectUnauthorized: boolean;
  policies: PolicyDecider;
  /** Where reads of protected fields are recorded; without one, protected values are never served. */
  audit: AuditSink | undefined;
  logger: Logger;
}

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= MAX_PLANS_PER_OPERATION) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

interface OperationEntry {
  analysis: DocumentAnalysis | undefined;
  plans: Map<string, AuthorizationPlan>;
}

const bounded = (text: string | undefined) => (text === undefined ? undefined : text.slice(0, 256));

function outcomeOf(counts: Map<string, FieldCount>): 'served' | 'partial' | 'denied' {
  let returned = 0;
  let denied = 0;
  for (const c of counts.values()) {
    returned += c.returned;
    denied += c.denied;
  }
  return denied === 0 ? 'served' : returned === 0 ? 'denied' : 'partial';
}

export function authorizationPlugin(options: AuthorizationOptions): ApolloServerPlugin<GatewayContext> {
  const { rules, logger } = options;
  // Keyed by the parsed document itself (Apollo Server's document cache hands out the same
  // object for the same text): plans refer to its field nodes, so a document parsed again
  // gets plans of its own, and the entries go when the document does.
  const byDocument = new WeakMap<DocumentNode, Map<string, OperationEntry>>();

  return {
    async requestDidStart() {
      const started = new Date();
      return {
        async didResolveOperation(rc) {
          const { contextValue, document, operation, queryHash, schema, request } = rc;
          // Apollo Server resolves the operation before this hook, or fails the request itself.
          if (!operation) return;
          let operations = byDocument.get(document);
          if (!operations) byDocument.set(document, (operations = new Map()));
          let entry = operations.get(rc.operationName ?? '');
          if (!entry) {
            entry = { analysis: analyzeDocument(schema, rules, document), plans: new Map() };
            operations.set(rc.operationName ?? '', entry);
          }
          const { analysis, plans } = entry;
          if (!analysis) return;

          const principal = contextValue.principal;
          const header = (name: string) => request.http?.headers.get(name) ?? undefined;
          let granted = new Set<string>();
          if (analysis.policies.size > 0) {
            try {
              granted = new Set(
                await options.policies({
                  principal,
                  policies: analysis.policies,
                  header,
                  operationName: rc.operationName,
                }),
              );
            } catch (err) {
              logger.error(
                { err, requestId: contextValue.requestId },
                'policy module failed; granting no policy',
              );
            }
          }
          const grants = {
            authenticated: principal.kind !== 'anonymous',
            scopes: principal.scopes,
            policies: granted,
          };
          const key = grantsKey(rules, analysis, grants);
          const plan =
            plans.get(key) ??
            remember(
              plans,
              key,
              planAuthorization({ schema, analysis, document, operation, queryHash, grants, key }),
            );

          const purpose = header(PURPOSE_HEADER);
          const record = (counts: Map<string, FieldCount>, outcome: AuditRecord['outcome']): AuditRecord => ({
            requestId: contextValue.requestId,
            dt: started.toISOString(),
            kind: 'read',
            principal: {
              id: principal.id,
              kind: principal.kind,
              name: principal.name,
              scopes: [...principal.scopes].sort(),
            },
            client: {
              ...(header('apollographql-client-name')
                ? { name: bounded(header('apollographql-client-name')) }
                : {}),
              ...(header('apollographql-client-version')
                ? { version: bounded(header('apollographql-client-version')) }
                : {}),
              address: bounded(principal.clientAddress),
            },
            operation: {
              name: rc.operationName,
              document_sha256: createHash('sha256').update(rc.source).digest('hex'),
              ...(purpose ? { purpose: bounded(purpose) } : {}),
            },
            fields: [...counts]
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([coordinate, c]) => ({ coordinate, returned: c.returned, denied: c.denied })),
            outcome,
          });

          if (options.rejectUnauthorized && plan.denied.size > 0) {
            const coordinates = [...new Set(plan.denied.values())].sort();
            const counts = new Map(coordinates.map((c) => [c, { returned: 0, denied: 0 }]));
            await options.audit?.write(record(counts, 'rejected')).catch((err: unknown) => {
              logger.error({ err, requestId: contextValue.requestId }, 'cannot audit a rejected request');
            });
            throw new GraphQLError(`Unauthorized field or type: ${coordinates.join(', ')}`, {
              extensions: { code: UNAUTHORIZED_CODE, coordinates, http: { status: 403 } },
            });
          }

          setOperationRewrite(contextValue, {
            document: plan.rewrite?.document ?? document,
            operation: plan.rewrite?.operation ?? operation,
            queryHash: plan.rewrite?.queryHash ?? queryHash,
            complete: async (result) => {
              const common = {
                schema,
                document,
                operation,
                variables: request.variables,
                plan,
              };
              const completion = completeResult({ ...common, data: result.data });
              const errors = [...(result.errors ?? []), ...completion.errors];
              const done = { ...result, data: completion.data, ...(errors.length > 0 ? { errors } : {}) };
              if (completion.counts.size === 0) return done;
              const returned = [...completion.counts.values()].some((c) => c.returned > 0);
              try {
                if (!options.audit) throw new Error('no audit log configured');
                await options.audit.write(record(completion.counts, outcomeOf(completion.counts)));
                return done;
              } catch (err) {
                logger.error({ err, requestId: contextValue.requestId }, 'cannot write the audit event');
                if (!returned) return done;
                // Fail closed: what could not be recorded is not served.
                const withheld = completeResult({
                  ...common,
                  data: completion.data,
                  denyAll: {
                    code: AUDIT_UNAVAILABLE_CODE,
                    message: 'Protected field withheld: the audit log cannot record this read',
                  },
                });
                const allErrors = [...errors, ...withheld.errors];
                return { ...result, data: withheld.data, errors: allErrors };
              }
            },
          });
        },
      };
    },
  };
}

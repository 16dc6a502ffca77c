/**
 * Trusted documents per tier (gateway/demand-control/trusted-documents.ts):
 * callers of a tier listed in SDP_TRUSTED_DOCUMENTS_REQUIRED (by default
 * anonymous ones) may run only the manifest's operations, sent by id or by
 * their exact text; anything else is HTTP 403 `PERSISTED_QUERY_NOT_IN_LIST`.
 * Other tiers run any operation within their limits and budget.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { DemandTier } from '../../config/env';
import type { GatewayContext } from '../context';
import type { TrustedDocuments } from '../demand-control/trusted-documents';
import { gatewayError } from '../errors';

export function trustedDocumentsPlugin(
  documents: TrustedDocuments,
  requiredFor: readonly DemandTier[],
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      if (!requiredFor.includes(contextValue.principal.tier)) return;
      return {
        async didResolveOperation({ source }) {
          if (documents.trusts(source)) return;
          throw gatewayError(
            'PERSISTED_QUERY_NOT_IN_LIST',
            `${contextValue.principal.tier} callers may run only the gateway's trusted documents; this operation is not one of them.`,
          );
        },
      };
    },
  };
}

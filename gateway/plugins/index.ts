/**
 * Gateway plugins. Apollo Server plugins are the gateway's one extension
 * mechanism: each cross-cutting concern (logging, policy, audit, limits, metrics)
 * is one plugin in one file here, and `defaultPlugins` is the set every gateway
 * runs. Extra plugins passed to `startGateway` run after these, in order.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { DemandConfig } from '../../config/env';
import type { GatewayContext } from '../context';
import type { BudgetStore } from '../demand-control/budgets';
import type { TrustedDocuments } from '../demand-control/trusted-documents';
import { budgetsPlugin } from './budgets';
import { costAnalysisPlugin } from './cost-analysis';
import { errorMaskingPlugin } from './error-masking';
import { landingPageDisabledPlugin } from './landing-page-disabled';
import { operationResolutionPlugin } from './operation-resolution';
import { requestLoggingPlugin } from './request-logging';
import { staticLimitsPlugin } from './static-limits';
import { trustedDocumentsPlugin } from './trusted-documents';

export {
  budgetsPlugin,
  costAnalysisPlugin,
  errorMaskingPlugin,
  landingPageDisabledPlugin,
  operationResolutionPlugin,
  requestLoggingPlugin,
  staticLimitsPlugin,
  trustedDocumentsPlugin,
};

export function defaultPlugins(logger: Logger): ApolloServerPlugin<GatewayContext>[] {
  return [
    landingPageDisabledPlugin() as ApolloServerPlugin<GatewayContext>,
    requestLoggingPlugin(logger.child({ plugin: 'request-logging' })) as ApolloServerPlugin<GatewayContext>,
    errorMaskingPlugin(logger.child({ plugin: 'error-masking' })),
    operationResolutionPlugin(),
  ];
}

export interface DemandControlPluginOptions {
  demand: DemandConfig;
  supergraphSdl: string;
  /** The budget store; none when demand control is off. */
  budgets: BudgetStore | undefined;
  trusted: TrustedDocuments | undefined;
  logger: Logger;
}

/**
 * Demand control (README "Limits and budgets"), cheapest check first: trusted
 * documents, static limits, cost estimate, then the budget, which is only
 * charged once every other check has passed (it answers in
 * `responseForOperation`, after all `didResolveOperation` hooks).
 */
export function demandControlPlugins(
  options: DemandControlPluginOptions,
): ApolloServerPlugin<GatewayContext>[] {
  const { demand } = options;
  const plugins: ApolloServerPlugin<GatewayContext>[] = [];
  if (options.trusted) plugins.push(trustedDocumentsPlugin(options.trusted, demand.trustedDocumentsRequired));
  if (!demand.enabled) return plugins;
  plugins.push(staticLimitsPlugin(demand.tiers), costAnalysisPlugin(options.supergraphSdl, demand.tiers));
  if (options.budgets) {
    plugins.push(budgetsPlugin(options.budgets, demand.tiers, options.logger.child({ plugin: 'budgets' })));
  }
  return plugins;
}

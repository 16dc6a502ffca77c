/**
 * `@apollo/gateway` 2.x reports usage metrics to Apollo's own OTLP endpoint
 * from every `ApolloGateway` it constructs, and to describe the host it first
 * probes cloud metadata addresses (169.254.169.254 and friends), unless
 * `APOLLO_TELEMETRY_DISABLED` is `true`. A data platform must send nothing to
 * anyone its operators did not configure, so sdp turns that off before any
 * gateway is built, unless the operator set the variable themselves.
 */
export function disableVendorTelemetry(env: NodeJS.ProcessEnv = process.env): void {
  env.APOLLO_TELEMETRY_DISABLED ??= 'true';
}

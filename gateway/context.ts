/**
 * The per-request context every gateway plugin sees: who is asking and the id
 * that ties the request's log lines, audit events and client-facing errors
 * together. Built once per HTTP request, before Apollo Server's pipeline runs.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { BaseContext } from '@apollo/server';
import type { Principal } from '../platform/principal';

export interface GatewayContext extends BaseContext {
  principal: Principal;
  /** Unique per request; sent back as `x-request-id` and put in masked errors. */
  requestId: string;
  /**
   * Aborted when the request's deadline passes or its client disconnects
   * (platform/deadline.ts): outstanding subgraph fetches are
   * cancelled and no new ones start. Absent outside the HTTP server.
   */
  signal?: AbortSignal;
  /** `performance.now()` at which the request's deadline passes. */
  deadlineAt?: number;
  /** The request's estimated and measured cost, set by the cost-analysis plugin. */
  cost?: { estimated: number; limit: number };
}

/** The client's address as the gateway's socket saw it. */
export function clientAddressOf(req: http.IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** Context for a request whose principal authentication decided (gateway/authentication/). */
export function gatewayContext(principal: Principal): GatewayContext {
  return { principal, requestId: randomUUID() };
}

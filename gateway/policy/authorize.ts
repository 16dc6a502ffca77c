/**
 * Authorization of one operation, in three steps, each cached as far as its
 * inputs allow:
 *
 * 1. `analyzeDocument` (per document): which field selections are protected
 *    and by which rules (requirements.ts). Most documents touch no protected
 *    field; for them nothing else happens, and the engine runs the client's
 *    document untouched.
 * 2. `planAuthorization` (per document and grants: authenticated or not, the
 *    rule scopes held, the policies granted): which selections are denied, and
 *    the document with each of them replaced by a placeholder
 *    `<responseKey>: __typename`, which no subgraph is asked for (the planner
 *    answers `__typename` from the plan itself). The rewritten document keeps
 *    every response key in its place, so the engine's result shaping, aliases
 *    and ordering are untouched.
 * 3. `completeResult` (per request): puts `null` at every placeholder with an
 *    `UNAUTHORIZED_FIELD_OR_TYPE` error at its path, propagates nulls through
 *    non-null fields as GraphQL execution does, and counts the values of
 *    protected fields returned and denied, for the audit.
 *
 * Objects under an interface or union carry no type the walk could trust, so
 * where a selection on an abstract type holds protected selections, the
 * rewrite also selects `__sdp_typename: __typename` there, and the walk
 * removes it. The walk descends only into selections with protected ones
 * below them.
 */
import { createHash } from 'node:crypto';
import {
  GraphQLError,
  Kind,
  TypeInfo,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { collectFields, collectSubfields } from 'graphql/execution/collectFields';
import { satisfies, type AccessRules, type Grants, type Rule } from './requirements';

export const UNAUTHORIZED_CODE = 'UNAUTHORIZED_FIELD_OR_TYPE';
const TYPENAME_KEY = '__sdp_typename';

export interface DocumentAnalysis {
  /** Protected field selections and every rule each must satisfy. */
  checks: Map<FieldNode, Rule[]>;
  /** Policy names the protected selections mention (the policy module decides only these). */
  policies: Set<string>;
  /** Whether any selection set is on an interface or union. */
  hasAbstractSelections: boolean;
}

/** Undefined when the document selects no protected field. */
export function analyzeDocument(
  schema: GraphQLSchema,
  rules: AccessRules,
  document: DocumentNode,
): DocumentAnalysis | undefined {
  const checks = new Map<FieldNode, Rule[]>();
  const policies = new Set<string>();
  let hasAbstractSelections = false;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet() {
        if (isAbstractType(typeInfo.getParentType())) hasAbstractSelections = true;
      },
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent) return;
        // On an interface or union, what any possible type's field requires (deny when in doubt).
        const typeNames = [
          parent.name,
          ...(isAbstractType(parent) ? schema.getPossibleTypes(parent).map((t) => t.name) : []),
        ];
        const found: Rule[] = [];
        for (const typeName of typeNames) {
          const fieldRule = rules.fields.get(typeName)?.get(node.name.value);
          if (fieldRule && !found.includes(fieldRule)) found.push(fieldRule);
          const byArgument = rules.arguments.get(typeName)?.get(node.name.value);
          for (const arg of node.arguments ?? []) {
            const argRule = byArgument?.get(arg.name.value);
            if (argRule && !found.includes(argRule)) found.push(argRule);
          }
        }
        if (found.length === 0) return;
        checks.set(node, found);
        for (const rule of found) {
          for (const r of rule.requirements)
            if (r.kind === 'policies') r.anyOf.flat().forEach((p) => policies.add(p));
        }
      },
    }),
  );
  return checks.size === 0 ? undefined : { checks, policies, hasAbstractSelections };
}

export interface AuthorizationPlan {
  /** Denied selections and the coordinate each is reported under. */
  denied: Map<FieldNode, string>;
  /** Allowed protected selections and their coordinate, counted for the audit. */
  allowed: Map<FieldNode, string>;
  /** Selections with a protected selection somewhere below them: the only ones the walk descends into. */
  ancestors: Set<FieldNode>;
  /** The document to execute, when it differs from the client's. */
  rewrite?: { document: DocumentNode; operation: OperationDefinitionNode; queryHash: string };
}

/** The cache key of a plan: the part of the grants the rules can tell apart. */
export function grantsKey(rules: AccessRules, analysis: DocumentAnalysis, grants: Grants): string {
  const scopes = [...grants.scopes].filter((s) => rules.scopes.has(s)).sort();
  const policies = [...grants.policies].filter((p) => analysis.policies.has(p)).sort();
  return `${grants.authenticated ? 1 : 0}\u0000${scopes.join(' ')}\u0000${policies.join(' ')}`;
}

export function planAuthorization(options: {
  schema: GraphQLSchema;
  analysis: DocumentAnalysis;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  queryHash: string;
  grants: Grants;
  key: string;
}): AuthorizationPlan {
  const { analysis, grants } = options;
  const denied = new Map<FieldNode, string>();
  const allowed = new Map<FieldNode, string>();
  for (const [node, rules] of analysis.checks) {
    const failing = rules.find((rule) => !satisfies(rule, grants));
    if (failing) denied.set(node, failing.coordinate);
    else allowed.set(node, rules[0]!.coordinate);
  }
  const { ancestors, holdsProtected } = ancestorsOf(options.document, analysis.checks);
  if (denied.size === 0 && !analysis.hasAbstractSelections) return { denied, allowed, ancestors };

  const typeInfo = new TypeInfo(options.schema);
  /** Per open selection set: whether the walk needs its objects' type names (abstract, holds protected selections). */
  const typed: boolean[] = [];
  const document: DocumentNode = visit(
    options.document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (!denied.has(node)) return undefined;
        return {
          kind: Kind.FIELD,
          alias: { kind: Kind.NAME, value: node.alias?.value ?? node.name.value },
          name: { kind: Kind.NAME, value: '__typename' },
          directives: node.directives,
        } satisfies FieldNode;
      },
      SelectionSet: {
        // Decided on the client's selection set (on leave, `node` is the rewritten one).
        enter(node) {
          typed.push(isAbstractType(typeInfo.getParentType()) && holdsProtected(node));
          return undefined;
        },
        leave(node) {
          if (!typed.pop()) return undefined;
          const typename: FieldNode = {
            kind: Kind.FIELD,
            alias: { kind: Kind.NAME, value: TYPENAME_KEY },
            name: { kind: Kind.NAME, value: '__typename' },
          };
          return { ...node, selections: [...node.selections, typename] } satisfies SelectionSetNode;
        },
      },
    }),
  );
  const index = options.document.definitions.indexOf(options.operation);
  return {
    denied,
    allowed,
    ancestors,
    rewrite: {
      document,
      operation: document.definitions[index] as OperationDefinitionNode,
      queryHash: createHash('sha256')
        .update(options.queryHash)
        .update('\u0000')
        .update(options.key)
        .digest('hex'),
    },
  };
}

/**
 * The field selections that have a protected selection below them, directly or
 * through fragments: the result walk skips every other subtree (in W1's answer,
 * most of it).
 */
function ancestorsOf(
  document: DocumentNode,
  checks: Map<FieldNode, unknown>,
): { ancestors: Set<FieldNode>; holdsProtected: (set: SelectionSetNode) => boolean } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const ancestors = new Set<FieldNode>();
  const fragmentHas = new Map<string, boolean>();
  const selectionSetHas = (set: SelectionSetNode | undefined, visiting: Set<string>): boolean => {
    let found = false;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        const below = selectionSetHas(selection.selectionSet, visiting);
        if (below) ancestors.add(selection);
        if (below || checks.has(selection)) found = true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (selectionSetHas(selection.selectionSet, visiting)) found = true;
      } else {
        const name = selection.name.value;
        let has = fragmentHas.get(name);
        if (has === undefined && !visiting.has(name)) {
          visiting.add(name);
          has = selectionSetHas(fragments.get(name)?.selectionSet, visiting);
          visiting.delete(name);
          fragmentHas.set(name, has);
        }
        if (has) found = true;
      }
    }
    return found;
  };
  for (const d of document.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) selectionSetHas(d.selectionSet, new Set());
    else if (d.kind === Kind.FRAGMENT_DEFINITION && !fragmentHas.has(d.name.value)) {
      fragmentHas.set(d.name.value, selectionSetHas(d.selectionSet, new Set([d.name.value])));
    }
  }
  /** Whether a selection set of the document has a protected selection in or below it (all memoized above). */
  const holdsProtected = (set: SelectionSetNode): boolean =>
    set.selections.some((selection) =>
      selection.kind === Kind.FIELD
        ? checks.has(selection) || ancestors.has(selection)
        : selection.kind === Kind.INLINE_FRAGMENT
          ? holdsProtected(selection.selectionSet)
          : fragmentHas.get(selection.name.value) === true,
    );
  return { ancestors, holdsProtected };
}

export interface FieldCount {
  returned: number;
  denied: number;
}

export interface Completion {
  data: Record<string, unknown> | null | undefined;
  errors: GraphQLError[];
  /** By coordinate: values of protected fields returned and denied. */
  counts: Map<string, FieldCount>;
}

type ResultObject = Record<string, unknown>;

/**
 * Nulls the denied selections of `data` (in place) with their errors and
 * counts protected values. With `denyAll`, every protected selection is denied
 * (the audit could not record the read), reported with `denyAllError`.
 */
export function completeResult(options: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown> | undefined;
  plan: AuthorizationPlan;
  data: ResultObject | null | undefined;
  denyAll?: { code: string; message: string };
}): Completion {
  const { schema, plan } = options;
  const counts = new Map<string, FieldCount>();
  const errors: GraphQLError[] = [];
  const fragments: Record<string, FragmentDefinitionNode> = Object.create(null) as Record<
    string,
    FragmentDefinitionNode
  >;
  for (const d of options.document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const variables = options.variables ?? {};
  const countOf = (coordinate: string) => {
    let count = counts.get(coordinate);
    if (!count) counts.set(coordinate, (count = { returned: 0, denied: 0 }));
    return count;
  };
  const decide = (nodes: readonly FieldNode[]): { denied?: string; allowed?: string } => {
    let allowed: string | undefined;
    for (const node of nodes) {
      const denied = plan.denied.get(node) ?? (options.denyAll ? plan.allowed.get(node) : undefined);
      if (denied !== undefined) return { denied };
      allowed ??= plan.allowed.get(node);
    }
    return { allowed };
  };

  // One response path, pushed and popped as the walk goes; copied only into errors.
  const path: (string | number)[] = [];
  // Objects of one list share their selections: collect them once per request (variables decide @skip/@include).
  const subfields = new Map<
    readonly FieldNode[],
    Map<GraphQLObjectType, Map<string, readonly FieldNode[]>>
  >();
  const fieldsOf = (runtime: GraphQLObjectType, nodes: readonly FieldNode[]) => {
    let byType = subfields.get(nodes);
    if (!byType) subfields.set(nodes, (byType = new Map()));
    let fields = byType.get(runtime);
    if (!fields)
      byType.set(runtime, (fields = collectSubfields(schema, fragments, variables, runtime, nodes)));
    return fields;
  };
  const walked = (nodes: readonly FieldNode[]) => nodes.some((n) => plan.ancestors.has(n));

  /** Returns true when `object` must become null (a non-null field in it became null). */
  const completeObject = (
    type: GraphQLObjectType,
    fields: Map<string, readonly FieldNode[]>,
    object: ResultObject,
  ): boolean => {
    if (Object.prototype.hasOwnProperty.call(object, TYPENAME_KEY)) delete object[TYPENAME_KEY];
    for (const [key, nodes] of fields) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
      const name = nodes[0]!.name.value;
      const definition = type.getFields()[name];
      if (!definition) continue; // __typename and introspection
      const decision = decide(nodes);
      if (decision.denied !== undefined) {
        object[key] = null;
        countOf(decision.denied).denied++;
        const message = options.denyAll
          ? `${options.denyAll.message} (${decision.denied})`
          : `Unauthorized field or type: ${decision.denied}`;
        errors.push(
          new GraphQLError(message, {
            path: [...path, key],
            extensions: { code: options.denyAll?.code ?? UNAUTHORIZED_CODE },
          }),
        );
        if (isNonNullType(definition.type)) return true;
        continue;
      }
      const value = object[key];
      if (value === null || value === undefined) continue;
      if (decision.allowed !== undefined) countOf(decision.allowed).returned++;
      // Below a selection without protected selections nothing changes (and the rewrite added no type names).
      if (!walked(nodes) || !isCompositeType(getNamedType(definition.type))) continue;
      path.push(key);
      const nulled = completeValue(definition.type, nodes, value);
      path.pop();
      if (nulled) {
        object[key] = null;
        if (isNonNullType(definition.type)) return true;
      }
    }
    return false;
  };

  const completeValue = (type: GraphQLOutputType, nodes: readonly FieldNode[], value: unknown): boolean => {
    if (value === null || value === undefined) return false;
    if (isNonNullType(type)) return completeValue(type.ofType, nodes, value);
    if (isListType(type)) {
      if (!Array.isArray(value)) return false;
      const itemType = type.ofType as GraphQLOutputType;
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        const nulled = completeValue(itemType, nodes, value[i]);
        path.pop();
        if (nulled) {
          if (isNonNullType(itemType)) return true;
          value[i] = null;
        }
      }
      return false;
    }
    if (typeof value !== 'object') return false;
    const object = value as ResultObject;
    let runtime: GraphQLObjectType | undefined;
    if (isObjectType(type)) runtime = type;
    else {
      const named = schema.getType(String(object[TYPENAME_KEY] ?? object.__typename));
      runtime = isObjectType(named) ? named : undefined;
    }
    // Without a type there is no telling what the object holds: withhold it (fail closed).
    if (!runtime) return true;
    return completeObject(runtime, fieldsOf(runtime, nodes), object);
  };

  let data = options.data;
  if (data) {
    const root = schema.getRootType(options.operation.operation);
    if (root) {
      const fields = collectFields(schema, fragments, variables, root, options.operation.selectionSet);
      if (completeObject(root, fields, data)) data = null;
    }
  }
  return { data, errors, counts };
}

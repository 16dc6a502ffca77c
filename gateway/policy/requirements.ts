/**
 * What the composed supergraph says about access: for every field (and
 * argument) protected by `@authenticated`, `@requiresScopes`, `@policy`
 * (federation's authorization directives, composed with `for: SECURITY`) or
 * `@sensitive(class:)` (sdp's, composed with @composeDirective), the
 * requirements a principal must meet. The supergraph is the single source of
 * truth; nothing about access is configured elsewhere except which scopes each
 * sensitivity class needs (SDP_SENSITIVE_SCOPES).
 *
 * Semantics are Apollo Router's: `scopes: [["a", "b"], ["c"]]` is (a AND b) OR c,
 * likewise for `policies`; a directive on a type, scalar or enum applies to every
 * field returning it; several requirements on one field must all hold.
 */
import {
  Kind,
  parse,
  print,
  visit,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type TypeNode,
} from 'graphql';

export type Requirement =
  | { kind: 'authenticated' }
  /** Any one of the inner lists, all of its scopes. */
  | { kind: 'scopes'; anyOf: string[][] }
  | { kind: 'policies'; anyOf: string[][] };

export interface Rule {
  /** `Type.field` or `Type.field(argument:)`. */
  coordinate: string;
  /** All must hold. */
  requirements: Requirement[];
}

export interface AccessRules {
  /** Rules by type name, then field name (a field's own and its return type's requirements). */
  fields: Map<string, Map<string, Rule>>;
  /** Rules of arguments by type name, field name, argument name. */
  arguments: Map<string, Map<string, Map<string, Rule>>>;
  /** Every scope a rule names: only these take part in authorization cache keys. */
  scopes: Set<string>;
  /** Every policy name a rule names. */
  policies: Set<string>;
}

/** What a caller has, for deciding requirements. */
export interface Grants {
  authenticated: boolean;
  scopes: ReadonlySet<string>;
  /** The `@policy` names the policy module granted for this request. */
  policies: ReadonlySet<string>;
}

export function satisfies(rule: Rule, grants: Grants): boolean {
  return rule.requirements.every((r) => {
    if (r.kind === 'authenticated') return grants.authenticated;
    const held = r.kind === 'scopes' ? grants.scopes : grants.policies;
    return r.anyOf.some((all) => all.every((item) => held.has(item)));
  });
}

const SECURITY_SPECS = ['authenticated', 'requiresScopes', 'policy'];

function listOfLists(value: ConstValueNode | undefined): string[][] {
  if (value?.kind !== Kind.LIST) return [];
  return value.values.map((inner) =>
    inner.kind === Kind.LIST
      ? inner.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : []))
      : inner.kind === Kind.STRING
        ? [inner.value]
        : [],
  );
}

function argument(directive: ConstDirectiveNode, name: string): ConstValueNode | undefined {
  return directive.arguments?.find((a) => a.name.value === name)?.value;
}

/**
 * The requirements the directives on one schema element state. An unknown
 * sensitivity class gets a requirement nobody meets: protected data is denied
 * by default.
 */
function requirementsOf(
  directives: readonly ConstDirectiveNode[] | undefined,
  sensitiveScopes: Record<string, string[]>,
): Requirement[] {
  const requirements: Requirement[] = [];
  for (const d of directives ?? []) {
    switch (d.name.value) {
      case 'authenticated':
        requirements.push({ kind: 'authenticated' });
        break;
      case 'requiresScopes':
        requirements.push({ kind: 'scopes', anyOf: listOfLists(argument(d, 'scopes')) });
        break;
      case 'policy':
        requirements.push({ kind: 'policies', anyOf: listOfLists(argument(d, 'policies')) });
        break;
      case 'sensitive': {
        const cls = argument(d, 'class');
        const scopes = cls?.kind === Kind.ENUM ? sensitiveScopes[cls.value] : undefined;
        requirements.push({ kind: 'scopes', anyOf: scopes ? [scopes] : [] });
        break;
      }
    }
  }
  return requirements;
}

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

export function readAccessRules(
  supergraphSdl: string,
  sensitiveScopes: Record<string, string[]>,
): AccessRules {
  const document = parse(supergraphSdl);
  const typeRequirements = new Map<string, Requirement[]>();
  const fieldsOf = new Map<string, readonly FieldDefinitionNode[]>();
  for (const def of document.definitions) {
    if (!('name' in def) || !def.name || !('directives' in def)) continue;
    const own = requirementsOf(def.directives as readonly ConstDirectiveNode[] | undefined, sensitiveScopes);
    if (own.length > 0) typeRequirements.set(def.name.value, own);
    if (
      (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.INTERFACE_TYPE_DEFINITION) &&
      def.fields
    ) {
      fieldsOf.set(def.name.value, def.fields);
    }
  }
  const rules: AccessRules = {
    fields: new Map(),
    arguments: new Map(),
    scopes: new Set(),
    policies: new Set(),
  };
  const note = (requirements: Requirement[]) => {
    for (const r of requirements) {
      if (r.kind === 'authenticated') continue;
      for (const item of r.anyOf.flat()) (r.kind === 'scopes' ? rules.scopes : rules.policies).add(item);
    }
  };
  for (const [typeName, fields] of fieldsOf) {
    for (const field of fields) {
      const requirements = [
        ...requirementsOf(field.directives, sensitiveScopes),
        ...(typeRequirements.get(namedType(field.type)) ?? []),
      ];
      if (requirements.length > 0) {
        note(requirements);
        const byField = rules.fields.get(typeName) ?? new Map<string, Rule>();
        byField.set(field.name.value, { coordinate: `${typeName}.${field.name.value}`, requirements });
        rules.fields.set(typeName, byField);
      }
      for (const arg of field.arguments ?? []) {
        const argRequirements = requirementsOf(arg.directives, sensitiveScopes);
        if (argRequirements.length === 0) continue;
        note(argRequirements);
        const byField = rules.arguments.get(typeName) ?? new Map<string, Map<string, Rule>>();
        const byArg = byField.get(field.name.value) ?? new Map<string, Rule>();
        byArg.set(arg.name.value, {
          coordinate: `${typeName}.${field.name.value}(${arg.name.value}:)`,
          requirements: argRequirements,
        });
        byField.set(field.name.value, byArg);
        rules.arguments.set(typeName, byField);
      }
    }
  }
  return rules;
}

/** Every protected coordinate, sorted: for tests, docs and the property test. */
export function protectedCoordinates(rules: AccessRules): string[] {
  return [
    ...[...rules.fields.values()].flatMap((m) => [...m.values()].map((r) => r.coordinate)),
    ...[...rules.arguments.values()].flatMap((m) =>
      [...m.values()].flatMap((a) => [...a.values()].map((r) => r.coordinate)),
    ),
  ].sort();
}

/**
 * The supergraph as the query planner is given it. Federation's loader refuses
 * `for: SECURITY` features it does not enforce itself (only Apollo's router
 * does); sdp enforces them before planning (gateway/plugins/authorization.ts),
 * so the planner gets the same supergraph without the `for: SECURITY` marks.
 * A supergraph without them is returned unchanged.
 */
export function plannableSupergraph(supergraphSdl: string): string {
  const isSecurityLink = (d: ConstDirectiveNode) => {
    if (d.name.value !== 'link') return false;
    const url = argument(d, 'url');
    const purpose = argument(d, 'for');
    return (
      url?.kind === Kind.STRING &&
      purpose?.kind === Kind.ENUM &&
      purpose.value === 'SECURITY' &&
      SECURITY_SPECS.some((spec) => url.value.startsWith(`https://specs.apollo.dev/${spec}/`))
    );
  };
  const document = parse(supergraphSdl);
  let changed = false;
  const rewritten: DocumentNode = visit(document, {
    Directive(node) {
      if (!isSecurityLink(node as ConstDirectiveNode)) return undefined;
      changed = true;
      return { ...node, arguments: node.arguments?.filter((a) => a.name.value !== 'for') };
    },
  });
  return changed ? print(rewritten) : supergraphSdl;
}

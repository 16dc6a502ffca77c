/**
 * Cost analysis per the IBM GraphQL Cost Directives specification, as Apollo
 * Federation (2.9+) composes its directives into the supergraph:
 * `@cost(weight:)` on fields, types and arguments, and
 * `@listSize(assumedSize:, slicingArguments:, sizedFields:)` on list fields
 * and connections, both under `@link(url: "https://specs.apollo.dev/cost/v0.1")`.
 *
 * The cost of a field is
 *   arguments' weights + size × (field weight + cost of its selections)
 * where the field weight is the field's `@cost`, else its type's `@cost`, else
 * 1 for an object, interface or union and 0 for a scalar or enum (a leaf is
 * paid for by the object that holds it); `size` is 1 for a single value and,
 * for a list, the largest value given to one of its `slicingArguments` (its
 * default when omitted), else its `assumedSize`, else `defaultListSize`. A
 * connection names its list with `sizedFields` (`edges`): the slicing argument
 * sizes that child and the connection itself counts once. Fragments on a type
 * other than the one selected are alternatives, so the costliest one counts.
 *
 * `estimate` runs before planning on the document and the variables;
 * `actual` walks the answer with the same weights and the real list lengths.
 * Both memoise each named fragment, so fragment bombs cost linear time.
 */
import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isListType,
  Kind,
  parse,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ConstDirectiveNode,
} from 'graphql';

export interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
}

/** The cost directives of a supergraph, by schema coordinate (`Type`, `Type.field`, `Type.field(arg:)`). */
export interface CostDirectives {
  weights: Map<string, number>;
  listSizes: Map<string, ListSize>;
}

/** How the cost spec's directives may be named in a supergraph (imported, or by their namespaced names). */
const COST_NAMES = new Set(['cost', 'cost__cost', 'federation__cost']);
const LIST_SIZE_NAMES = new Set(['listSize', 'cost__listSize', 'federation__listSize']);

/** Reads `@cost` and `@listSize` from a composed supergraph's SDL. */
export function costDirectivesOf(supergraphSdl: string): CostDirectives {
  const weights = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();
  const read = (coordinate: string, directives: readonly ConstDirectiveNode[] | undefined) => {
    for (const directive of directives ?? []) {
      const args = new Map(
        (directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)] as const),
      );
      if (COST_NAMES.has(directive.name.value)) {
        const weight = Number(args.get('weight'));
        if (Number.isFinite(weight)) weights.set(coordinate, weight);
      } else if (LIST_SIZE_NAMES.has(directive.name.value)) {
        const listSize: ListSize = {};
        const assumed = args.get('assumedSize');
        if (typeof assumed === 'number') listSize.assumedSize = assumed;
        const slicing = args.get('slicingArguments');
        if (Array.isArray(slicing)) listSize.slicingArguments = slicing.map(String);
        const sized = args.get('sizedFields');
        if (Array.isArray(sized)) listSize.sizedFields = sized.map(String);
        listSizes.set(coordinate, listSize);
      }
    }
  };
  for (const definition of parse(supergraphSdl).definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION:
        read(definition.name.value, definition.directives);
        for (const field of definition.fields ?? []) {
          const coordinate = `${definition.name.value}.${field.name.value}`;
          read(coordinate, field.directives);
          for (const arg of field.arguments ?? []) read(`${coordinate}(${arg.name.value}:)`, arg.directives);
        }
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_DEFINITION:
        read(definition.name.value, definition.directives);
        break;
      default:
    }
  }
  return { weights, listSizes };
}

type Variables = Record<string, unknown> | undefined;

interface Walk {
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Variables;
  memo: Map<string, number>;
}

export class CostCalculator {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly directives: CostDirectives,
    private readonly defaultListSize = 10,
  ) {}

  /** The estimated cost of `operation`, before anything is fetched. */
  estimate(document: DocumentNode, operation: OperationDefinitionNode, variables: Variables): number {
    const root = this.schema.getRootType(operation.operation);
    if (!root) return 0;
    const walk: Walk = { fragments: fragmentsOf(document), variables, memo: new Map() };
    const rootWeight = operation.operation === 'mutation' ? 10 : 0;
    return rootWeight + this.estimateSet(walk, operation.selectionSet, root, undefined);
  }

  private estimateSet(
    walk: Walk,
    set: SelectionSetNode,
    parent: GraphQLNamedType,
    sized: { fields: string[]; size: number } | undefined,
  ): number {
    let plain = 0;
    const alternatives = new Map<string, number>();
    const add = (typeCondition: string | undefined, cost: number) => {
      if (typeCondition === undefined || typeCondition === parent.name) plain += cost;
      else alternatives.set(typeCondition, (alternatives.get(typeCondition) ?? 0) + cost);
    };
    for (const selection of set.selections) {
      switch (selection.kind) {
        case Kind.FIELD:
          plain += this.estimateField(walk, selection, parent, sized);
          break;
        case Kind.INLINE_FRAGMENT: {
          const condition = selection.typeCondition?.name.value;
          const type = condition ? this.schema.getType(condition) : parent;
          if (type) add(condition, this.estimateSet(walk, selection.selectionSet, type, sized));
          break;
        }
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          const fragment = walk.fragments.get(name);
          if (!fragment) break;
          const condition = fragment.typeCondition.name.value;
          const key = sized ? `${name}\u0000${sized.size}` : name;
          let cost = walk.memo.get(key);
          if (cost === undefined) {
            // Cycles fail validation before this runs; guard anyway.
            walk.memo.set(key, Infinity);
            const type = this.schema.getType(condition);
            cost = type ? this.estimateSet(walk, fragment.selectionSet, type, sized) : 0;
            walk.memo.set(key, cost);
          }
          add(condition, cost);
          break;
        }
      }
    }
    let costliest = 0;
    for (const cost of alternatives.values()) costliest = Math.max(costliest, cost);
    return plain + costliest;
  }

  private estimateField(
    walk: Walk,
    node: FieldNode,
    parent: GraphQLNamedType,
    sized: { fields: string[]; size: number } | undefined,
  ): number {
    const field = fieldOf(parent, node.name.value);
    if (!field) return 0;
    const coordinate = `${parent.name}.${field.name}`;
    const named = getNamedType(field.type);
    const listSize = this.directives.listSizes.get(coordinate);
    const slicing = listSize?.slicingArguments ? this.slicingValue(walk, node, field, listSize) : undefined;
    let size = 1;
    if (sized?.fields.includes(field.name)) size = sized.size;
    else if (isListType(getNullableType(field.type)))
      size = slicing ?? listSize?.assumedSize ?? this.defaultListSize;
    const childSized =
      listSize?.sizedFields && listSize.sizedFields.length > 0
        ? { fields: listSize.sizedFields, size: slicing ?? listSize.assumedSize ?? this.defaultListSize }
        : undefined;
    const children = node.selectionSet ? this.estimateSet(walk, node.selectionSet, named, childSized) : 0;
    return this.argumentsWeight(coordinate, node) + size * (this.weightOf(coordinate, named) + children);
  }

  /** The largest value given to one of the field's slicing arguments (its default when not given). */
  private slicingValue(
    walk: Walk,
    node: FieldNode,
    field: GraphQLField<unknown, unknown>,
    listSize: ListSize,
  ): number | undefined {
    let largest: number | undefined;
    for (const name of listSize.slicingArguments ?? []) {
      const given = node.arguments?.find((a) => a.name.value === name);
      const value = given
        ? valueFromASTUntyped(given.value, walk.variables)
        : field.args.find((a) => a.name === name)?.defaultValue;
      if (typeof value === 'number' && Number.isFinite(value)) {
        largest = Math.max(largest ?? 0, Math.max(0, value));
      }
    }
    return largest;
  }

  private argumentsWeight(coordinate: string, node: FieldNode): number {
    let weight = 0;
    for (const arg of node.arguments ?? []) {
      weight += this.directives.weights.get(`${coordinate}(${arg.name.value}:)`) ?? 0;
    }
    return weight;
  }

  private weightOf(coordinate: string, type: GraphQLNamedType): number {
    return (
      this.directives.weights.get(coordinate) ??
      this.directives.weights.get(type.name) ??
      (isCompositeType(type) ? 1 : 0)
    );
  }

  /**
   * The cost of an answer: the same weights with the lists' real lengths.
   * Fields the answer does not hold (not reached, or on another type of an
   * abstract selection) cost nothing.
   */
  actual(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Variables,
    data: unknown,
  ): number {
    const root = this.schema.getRootType(operation.operation);
    if (!root || data === null || typeof data !== 'object') return 0;
    const walk: Walk = { fragments: fragmentsOf(document), variables, memo: new Map() };
    return this.actualSet(walk, operation.selectionSet, root, data as Record<string, unknown>);
  }

  private actualSet(
    walk: Walk,
    set: SelectionSetNode,
    parent: GraphQLNamedType,
    object: Record<string, unknown>,
  ): number {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const responseKey = selection.alias?.value ?? selection.name.value;
        if (!(responseKey in object)) continue;
        cost += this.actualField(walk, selection, parent, object[responseKey]);
        continue;
      }
      const typeName =
        selection.kind === Kind.INLINE_FRAGMENT
          ? selection.typeCondition?.name.value
          : walk.fragments.get(selection.name.value)?.typeCondition.name.value;
      const inner =
        selection.kind === Kind.INLINE_FRAGMENT
          ? selection.selectionSet
          : walk.fragments.get(selection.name.value)?.selectionSet;
      if (!inner) continue;
      const type = typeName ? this.schema.getType(typeName) : parent;
      const runtime = object.__typename;
      // On an abstract selection, a fragment for another concrete type does not apply.
      if (type && !isAbstractType(type) && typeof runtime === 'string' && runtime !== type.name) continue;
      if (type) cost += this.actualSet(walk, inner, type, object);
    }
    return cost;
  }

  private actualField(walk: Walk, node: FieldNode, parent: GraphQLNamedType, value: unknown): number {
    const field = fieldOf(parent, node.name.value);
    if (!field) return 0;
    const coordinate = `${parent.name}.${field.name}`;
    const named = getNamedType(field.type);
    const weight = this.weightOf(coordinate, named);
    const one = (item: unknown): number => {
      if (item === null || item === undefined) return 0;
      if (Array.isArray(item)) return item.reduce((sum: number, i) => sum + one(i), 0);
      const children =
        node.selectionSet && typeof item === 'object'
          ? this.actualSet(walk, node.selectionSet, named, item as Record<string, unknown>)
          : 0;
      return weight + children;
    };
    return this.argumentsWeight(coordinate, node) + one(value);
  }
}

function fieldOf(parent: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name.startsWith('__')) return undefined;
  return 'getFields' in parent ? (parent.getFields()[name] as GraphQLField<unknown, unknown>) : undefined;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

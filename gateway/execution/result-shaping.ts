/**
 * Result shaping, compiled once per operation: the stock gateway's
 * `computeResponse` (@apollo/gateway 2.14 `resultShaping.ts`), which turns the
 * merged subgraph data into the response (aliases, `__typename`, fragments on
 * abstract types, @skip/@include, leaf value checks, null propagation for
 * non-null fields and the errors that go with it), reproduced step for step.
 *
 * Stock walks the federation `Operation` on every request, and each step asks
 * it again for the selection's directives, response name, field definition and
 * type. Here those answers are computed once per operation into plain objects;
 * what still depends on the data (runtime `__typename`, variables) is decided
 * per request, with subtype checks memoised per schema. Messages, error paths,
 * the order of keys in the output and every assertion are stock's.
 */
import * as federation from '@apollo/federation-internals';
import type {
  CompositeType,
  Directive,
  EnumType,
  FieldSelection,
  Operation,
  ScalarType,
  Schema,
  SelectionSet,
  Type,
  Variable,
} from '@apollo/federation-internals';
import type { GraphQLError } from 'graphql';
import { responseObject } from './response-object';

// The package re-exports everything through getters (TypeScript's export
// helpers); these run for every value of every response, so read them once.
const assert: typeof federation.assert = federation.assert;
const {
  ERRORS,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  isSubtype,
  isCustomScalarType,
  isEnumType,
  typenameFieldName,
  Variable: VariableClass,
} = federation;

type ResultObject = Record<string, unknown>;
type Path = (string | number)[];

/** A `@skip`/`@include` argument: a literal, or a variable read per request. */
interface DirectiveCondition {
  value: boolean | Variable;
  /** Kept for stock's assertion message when the variable is not a boolean. */
  directive: { toString(): string };
}

/**
 * A field's type, unwrapped once: stock asks `isNonNullType`, `isListType`,
 * `isCompositeType` of the federation type at every value.
 */
type CompiledType =
  | { kind: 'nonNull'; type: Type; ofType: CompiledType; ofTypeType: Type }
  | { kind: 'list'; type: Type; ofType: CompiledType }
  | { kind: 'composite'; type: CompositeType }
  | { kind: 'leaf'; type: ScalarType | EnumType; isValid: (value: unknown) => boolean };

function compileType(schema: Schema, type: Type): CompiledType {
  if (isNonNullType(type))
    return { kind: 'nonNull', type, ofType: compileType(schema, type.ofType), ofTypeType: type.ofType };
  if (isListType(type)) return { kind: 'list', type, ofType: compileType(schema, type.ofType) };
  if (isCompositeType(type)) return { kind: 'composite', type };
  const leaf = type as ScalarType | EnumType;
  return { kind: 'leaf', type: leaf, isValid: leafValidator(schema, leaf) };
}

/** federation-internals' `integerStringRegExp` (not exported). */
const INTEGER_STRING = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * Stock's `isValidLeafValue(schema, value, type)` for one leaf type, with the
 * schema's built-in types compared once instead of looked up per value.
 */
export function leafValidator(schema: Schema, type: ScalarType | EnumType): (value: unknown) => boolean {
  if (isCustomScalarType(type)) return () => true;
  const isBoolean = type === schema.booleanType();
  const isInt = type === schema.intType();
  const isIntOrId = isInt || type === schema.idType();
  const isFloat = type === schema.floatType();
  const enumType = isEnumType(type) ? type : undefined;
  return (value) => {
    if (typeof value === 'boolean') return isBoolean;
    if (typeof value === 'number' && isFinite(value))
      return isIntOrId ? INTEGER_STRING.test(String(value)) : isFloat;
    if (typeof value === 'string') {
      return enumType ? enumType.value(value) !== undefined : !isBoolean && !isInt && !isFloat;
    }
    return false;
  };
}

interface CompiledField {
  kind: 'field';
  skip?: DirectiveCondition;
  include?: DirectiveCondition;
  responseName: string;
  isTypename: boolean;
  isIntrospection: boolean;
  /** For introspection fields, handed to the introspection handler as stock does. */
  selection: FieldSelection;
  type: CompiledType;
  selections?: CompiledSelection[];
}

interface CompiledFragment {
  kind: 'fragment';
  skip?: DirectiveCondition;
  include?: DirectiveCondition;
  typeCondition?: CompositeType;
  selections: CompiledSelection[];
}

type CompiledSelection = CompiledField | CompiledFragment;

export interface CompiledOperation {
  schema: Schema;
  rootType: CompositeType;
  /** `operation.collectDefaultedVariableValues()`, which depends on the operation only. */
  defaultedVariables: Record<string, unknown>;
  selections: CompiledSelection[];
  /** Memoised `isSubtype(condition, type)` per condition: by runtime `__typename`, or by parent type when there is none. */
  subtypes: Map<CompositeType, { byTypename: Map<string, boolean>; byParent: Map<CompositeType, boolean> }>;
}

const OK = 0;
const NULL_BUBBLE_UP = 1;

interface Parameters {
  compiled: CompiledOperation;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
  introspectionHandling: (selection: FieldSelection) => unknown;
  /**
   * Stock's `updateOutputValue` returns `{ updated, isInvalid, hasErrors }` for
   * every value of the response; here it returns `updated` and leaves the two
   * flags of its last call here, which saves an allocation per value.
   */
  isInvalid: boolean;
  hasErrors: boolean;
}

export function compileOperation(operation: Operation): CompiledOperation {
  const schema = operation.schema();
  const rootType = schema.schemaDefinition.rootType(operation.rootKind);
  assert(rootType, () => `schema has no ${operation.rootKind} type`);
  return {
    schema,
    rootType,
    defaultedVariables: operation.collectDefaultedVariableValues(),
    selections: compileSelectionSet(schema, operation.selectionSet),
    subtypes: new Map(),
  };
}

/** Stock reads the first applied @skip (or @include) only. */
function condition(
  directives: readonly Directive<never, { if: boolean | Variable }>[],
): DirectiveCondition | undefined {
  const directive = directives[0];
  if (!directive) return undefined;
  return { value: directive.arguments().if, directive };
}

function compileSelectionSet(schema: Schema, selectionSet: SelectionSet): CompiledSelection[] {
  return selectionSet.selections().map((selection): CompiledSelection => {
    const element = selection.element;
    const skip = condition(
      element.appliedDirectivesOf(schema.skipDirective()) as Directive<never, { if: boolean | Variable }>[],
    );
    const include = condition(
      element.appliedDirectivesOf(schema.includeDirective()) as Directive<
        never,
        { if: boolean | Variable }
      >[],
    );
    if (selection.kind === 'FieldSelection') {
      const field = selection.element;
      return {
        kind: 'field',
        skip,
        include,
        responseName: field.responseName(),
        isTypename: field.name === typenameFieldName,
        isIntrospection: field.definition.isSchemaIntrospectionField(),
        selection,
        type: compileType(schema, field.definition.type as Type),
        selections: selection.selectionSet ? compileSelectionSet(schema, selection.selectionSet) : undefined,
      };
    }
    const fragment = selection.element;
    return {
      kind: 'fragment',
      skip,
      include,
      typeCondition: fragment.typeCondition,
      selections: compileSelectionSet(schema, selection.selectionSet),
    };
  });
}

/** Stock's `computeResponse`, over a compiled operation. */
export function computeCompiledResponse({
  compiled,
  variables,
  input,
  introspectionHandling,
}: {
  compiled: CompiledOperation;
  variables?: Record<string, unknown>;
  input: ResultObject | null | undefined;
  introspectionHandling: (selection: FieldSelection) => unknown;
}): { data: ResultObject | null | undefined; errors: GraphQLError[] } {
  if (!input) return { data: input, errors: [] };
  const parameters: Parameters = {
    compiled,
    variables: { __proto__: null, ...compiled.defaultedVariables, ...variables } as Record<string, unknown>,
    errors: [],
    introspectionHandling,
    isInvalid: false,
    hasErrors: false,
  };
  const data: ResultObject = responseObject();
  const result = applySelectionSet(input, compiled.selections, data, parameters, [], compiled.rootType);
  return { data: result === NULL_BUBBLE_UP ? null : data, errors: parameters.errors };
}

function ifValue(condition: DirectiveCondition, variables: Record<string, unknown>): boolean {
  const ifArg = condition.value;
  if (ifArg instanceof VariableClass) {
    const value = variables[ifArg.name];
    assert(
      value !== undefined && typeof value === 'boolean',
      () => `Unexpected value ${value} for variable ${ifArg} of ${condition.directive}`,
    );
    return value;
  }
  return ifArg;
}

function shouldSkip(selection: CompiledSelection, variables: Record<string, unknown>): boolean {
  return (
    (selection.skip !== undefined && ifValue(selection.skip, variables)) ||
    (selection.include !== undefined && !ifValue(selection.include, variables))
  );
}

function typeConditionApplies(
  compiled: CompiledOperation,
  typeCondition: CompositeType | undefined,
  typename: string | undefined,
  parentType: CompositeType,
): boolean {
  if (!typeCondition) return true;
  // A type is its own subtype: the usual case (a fragment on the object's own type) needs no lookup.
  if (typename ? typename === typeCondition.name : parentType === typeCondition) return true;
  let memo = compiled.subtypes.get(typeCondition);
  if (memo === undefined)
    compiled.subtypes.set(typeCondition, (memo = { byTypename: new Map(), byParent: new Map() }));
  if (typename) {
    let applies = memo.byTypename.get(typename);
    if (applies === undefined) {
      const type = compiled.schema.type(typename);
      memo.byTypename.set(typename, (applies = !!type && isSubtype(typeCondition, type)));
    }
    return applies;
  }
  let applies = memo.byParent.get(parentType);
  if (applies === undefined) memo.byParent.set(parentType, (applies = isSubtype(typeCondition, parentType)));
  return applies;
}

function applySelectionSet(
  input: ResultObject,
  selections: CompiledSelection[],
  output: ResultObject,
  parameters: Parameters,
  path: Path,
  parentType: CompositeType,
): number {
  for (const selection of selections) {
    if (
      (selection.skip !== undefined || selection.include !== undefined) &&
      shouldSkip(selection, parameters.variables)
    ) {
      continue;
    }
    if (selection.kind === 'field') {
      const responseName = selection.responseName;
      const outputValue = output[responseName];
      if (selection.isIntrospection) {
        if (outputValue === undefined)
          output[responseName] = parameters.introspectionHandling(selection.selection);
        continue;
      }
      let inputValue =
        (Object.prototype.hasOwnProperty.call(input, responseName) ? input[responseName] : undefined) ?? null;
      if (selection.isTypename) {
        if (outputValue === undefined) {
          if (inputValue === null && responseName !== typenameFieldName) {
            inputValue = input[typenameFieldName] ?? null;
          }
          const type =
            inputValue !== null && typeof inputValue === 'string'
              ? (parameters.compiled.schema.type(inputValue) ?? parentType)
              : parentType;
          if (!isObjectType(type)) return NULL_BUBBLE_UP;
          output[responseName] = type.name;
        }
        continue;
      }
      path.push(responseName);
      output[responseName] = updateOutputValue(
        outputValue,
        selection.type,
        inputValue,
        selection.selections,
        path,
        parameters,
        parentType,
      );
      path.pop();
      if (parameters.isInvalid) return NULL_BUBBLE_UP;
    } else {
      const typename = input[typenameFieldName];
      assert(
        !typename || typeof typename === 'string',
        () => `Got unexpected value for __typename: ${typename}`,
      );
      if (
        typeConditionApplies(
          parameters.compiled,
          selection.typeCondition,
          typename as string | undefined,
          parentType,
        )
      ) {
        const result = applySelectionSet(
          input,
          selection.selections,
          output,
          parameters,
          path,
          selection.typeCondition ?? parentType,
        );
        if (result === NULL_BUBBLE_UP) return NULL_BUBBLE_UP;
      }
    }
  }
  return OK;
}

function pathLastElementDescription(path: Path, currentType: Type, parentType: CompositeType): string {
  const element = path[path.length - 1];
  assert(element !== undefined, 'Should not have been called on an empty path');
  return typeof element === 'string'
    ? `field ${parentType}.${element}`
    : `array element of type ${currentType} at index ${element}`;
}

/** Sets the flags `updateOutputValue` reports and returns its value. */
function result(parameters: Parameters, updated: unknown, isInvalid: boolean, hasErrors: boolean): unknown {
  parameters.isInvalid = isInvalid;
  parameters.hasErrors = hasErrors;
  return updated;
}

function updateOutputValue(
  outputValue: unknown,
  compiledType: CompiledType,
  inputValue: unknown,
  selections: CompiledSelection[] | undefined,
  path: Path,
  parameters: Parameters,
  parentType: CompositeType,
): unknown {
  assert(inputValue !== undefined, 'Should not pass undefined for `inputValue` to this method');
  if (outputValue === null || (outputValue !== undefined && !selections)) {
    return result(parameters, outputValue, false, false);
  }
  if (compiledType.kind === 'nonNull') {
    const updated = updateOutputValue(
      outputValue,
      compiledType.ofType,
      inputValue,
      selections,
      path,
      parameters,
      parentType,
    );
    if (updated === null) {
      if (!parameters.hasErrors) {
        parameters.errors.push(
          ERRORS.INVALID_GRAPHQL.err(
            `Cannot return null for non-nullable ${pathLastElementDescription(path, compiledType.ofTypeType, parentType)}.`,
            { path: Array.from(path) },
          ),
        );
      }
      return result(parameters, updated, true, true);
    }
    // Stock drops the inner `hasErrors` here: `{ updated }` only.
    return result(parameters, updated, false, false);
  }
  if (inputValue === null) return result(parameters, null, false, false);
  const type = compiledType.type;
  if (compiledType.kind === 'list') {
    assert(
      Array.isArray(inputValue),
      () => `Invalid non-list value ${inputValue} returned by subgraph for list type ${type}`,
    );
    assert(
      outputValue === undefined || Array.isArray(outputValue),
      () => `Invalid non-list value ${outputValue} returned by subgraph for list type ${type}`,
    );
    const outputList = outputValue as unknown[] | undefined;
    const length = outputList === undefined ? inputValue.length : outputList.length;
    assert(
      inputValue.length === length,
      () =>
        `[${inputValue}].length (${inputValue.length}) !== [${outputList ?? new Array(length).fill(undefined)}].length (${length})`,
    );
    let shouldNullify = false;
    let hasErrors = false;
    const updated = new Array<unknown>(length);
    for (let index = 0; index < length; index++) {
      path.push(index);
      updated[index] = updateOutputValue(
        outputList === undefined ? undefined : outputList[index],
        compiledType.ofType,
        inputValue[index],
        selections,
        path,
        parameters,
        parentType,
      );
      path.pop();
      shouldNullify ||= parameters.isInvalid;
      hasErrors ||= parameters.hasErrors;
    }
    return result(parameters, shouldNullify ? null : updated, false, hasErrors);
  }
  if (compiledType.kind === 'composite') {
    assert(selections, () => `Invalid empty selection set for composite type ${type}`);
    assert(
      typeof inputValue === 'object',
      () => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`,
    );
    assert(
      outputValue === undefined || typeof outputValue === 'object',
      () => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`,
    );
    const inputTypename = (inputValue as ResultObject)[typenameFieldName];
    assert(
      inputTypename === undefined || typeof inputTypename === 'string',
      () => `Invalid non-string value ${inputTypename} for __typename at ${path}`,
    );
    let objectType: CompositeType = compiledType.type;
    if (inputTypename) {
      const typenameType = parameters.compiled.schema.type(inputTypename);
      if (!typenameType || !isCompositeType(typenameType)) {
        parameters.errors.push(
          ERRORS.INVALID_GRAPHQL.err(
            `Invalid __typename found for object at ${pathLastElementDescription(path, type, parentType)}.`,
            { path: Array.from(path) },
          ),
        );
        return result(parameters, null, false, true);
      }
      objectType = typenameType;
    }
    const outputObject = (outputValue === undefined ? responseObject() : outputValue) as ResultObject;
    const applied = applySelectionSet(
      inputValue as ResultObject,
      selections,
      outputObject,
      parameters,
      path,
      objectType,
    );
    const hasErrors = applied === NULL_BUBBLE_UP;
    return result(parameters, hasErrors ? null : outputObject, false, hasErrors);
  }
  assert(outputValue === undefined, () => `Excepted output to be undefined but got ${type} for type ${type}`);
  const isValidValue = compiledType.isValid(inputValue);
  if (!isValidValue) {
    parameters.errors.push(
      ERRORS.INVALID_GRAPHQL.err(
        `Invalid value found for ${pathLastElementDescription(path, type, parentType)}.`,
        {
          path: Array.from(path),
        },
      ),
    );
  }
  return result(parameters, isValidValue ? inputValue : null, false, !isValidValue);
}

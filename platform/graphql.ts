/**
 * GraphQL building blocks every product's resolvers share, so each subgraph
 * reports bad input and represents instants the same way.
 */
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** A client error naming the argument at fault (`extensions.code` BAD_USER_INPUT, `argumentName`). */
export function badInput(message: string, argumentName: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argumentName } });
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The `DateTime` scalar of every product's SDL: an ISO-8601 UTC instant with a `Z` offset. */
export const DateTime = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'An instant in UTC, as an ISO-8601 string with a `Z` offset.',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string' && ISO_UTC.test(value)) return value;
    throw new GraphQLError(`DateTime cannot represent ${JSON.stringify(value)}`);
  },
  parseValue(value) {
    if (typeof value === 'string' && ISO_UTC.test(value) && !Number.isNaN(Date.parse(value))) return value;
    throw new GraphQLError(`DateTime must be an ISO-8601 UTC string like 2026-01-01T00:00:00Z`);
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING && ISO_UTC.test(ast.value) && !Number.isNaN(Date.parse(ast.value)))
      return ast.value;
    throw new GraphQLError(`DateTime must be an ISO-8601 UTC string like 2026-01-01T00:00:00Z`);
  },
});

import { AjvCompiler } from '@fastify/ajv-compiler';

type Schema = Record<string, unknown>;

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keywords whose value is one schema, a list of schemas, or a map of them. */
const ONE = ['items', 'additionalItems', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'];
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const MAP = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'];

/**
 * The same schema, but an array over its `maxItems` gets that one error and its items are not
 * looked at. Ajv with `allErrors` (which gives a form every field's error at once) otherwise checks
 * every item of an array it has already refused: 450,000 items cost a quarter of a second and as
 * many errors. `if: { maxItems }` holds for exactly the arrays `maxItems` lets through.
 */
export function boundedArrays(schema: unknown): unknown {
  if (!isSchema(schema)) return schema;
  const copy: Schema = { ...schema };
  for (const key of ONE) if (key in copy) copy[key] = boundedArrays(copy[key]);
  for (const key of LIST) if (Array.isArray(copy[key])) copy[key] = (copy[key] as unknown[]).map(boundedArrays);
  for (const key of MAP) {
    const map = copy[key];
    if (isSchema(map)) copy[key] = Object.fromEntries(Object.entries(map).map(([name, inner]) => [name, boundedArrays(inner)]));
  }
  if (typeof copy.maxItems === 'number' && copy.items !== undefined && copy.if === undefined) {
    const { items, ...rest } = copy;
    return { ...rest, if: { maxItems: copy.maxItems }, then: { items } };
  }
  return copy;
}

type BuildValidator = ReturnType<typeof AjvCompiler>;

type Validate = ((data: unknown) => boolean) & { errors?: { keyword: string }[] | null };

/**
 * Fastify's own Ajv compiler, given each route's schemas with `boundedArrays` applied. Only the
 * validators see the rewrite; the OpenAPI document keeps the schemas as written, and the errors
 * leave out the rewrite's own "must match then" that comes with each refused item.
 */
export function boundedValidatorCompiler(): BuildValidator {
  const build = AjvCompiler();
  return ((externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    return (route) => {
      const inner = compile({ ...route, schema: boundedArrays(route.schema) as typeof route.schema }) as Validate;
      const validate: Validate = (data) => {
        const valid = inner(data);
        validate.errors = inner.errors?.filter((error) => error.keyword !== 'if') ?? null;
        return valid;
      };
      return validate;
    };
  }) as BuildValidator;
}

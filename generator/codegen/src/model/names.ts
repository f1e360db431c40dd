/**
 * Naming rules: how contract names become TypeScript names. Documented in the README ("Using asyncgen on your own
 * contracts"); every rule is deterministic and depends only on where a thing stands in the contract.
 */

/** `restaurant-service`, `createTicket`, `create_ticket` -> `RestaurantService`, `CreateTicket`, `CreateTicket`. */
export function pascalCase(value: string): string {
  return value
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

/** `RestaurantService` -> `restaurantService`. */
export function camelCase(value: string): string {
  const pascal = pascalCase(value);
  return pascal.length === 0 ? pascal : pascal[0]!.toLowerCase() + pascal.slice(1);
}

/**
 * A type name from any contract name: its words in PascalCase; `_` in front when it would start with a digit, and
 * `Unnamed` when it has no letters or digits at all.
 */
export function typeName(value: string): string {
  const pascal = pascalCase(value);
  if (pascal.length === 0) return "Unnamed";
  return /^[0-9]/.test(pascal) ? `_${pascal}` : pascal;
}

/**
 * A method name from an operation id: its words in camelCase (`user/signedup.subscribe` -> `userSignedupSubscribe`,
 * `createTicket` stays), `_` in front when it would start with a digit.
 */
export function methodName(value: string): string {
  const camel = camelCase(value);
  if (camel.length === 0) return "operation";
  return /^[0-9]/.test(camel) ? `_${camel}` : camel;
}

const ANONYMOUS_ID = /^<anonymous-schema-\d+>$/;

/** Where a schema's name comes from: its title, its component key, or the place it stands (derived). */
export type NameOrigin = "title" | "component" | "derived";

/**
 * The name a schema gives itself: its title, else its component key (from the parser, or found in another file of
 * the contract by `componentKey`). Undefined when it has neither; the caller then derives one from its place.
 */
export function ownName(
  schema: { readonly [key: string]: unknown },
  componentKey: (schema: object) => string | undefined = () => undefined,
): { name: string; origin: NameOrigin } | undefined {
  if (typeof schema.title === "string" && pascalCase(schema.title).length > 0)
    return { name: typeName(schema.title), origin: "title" };
  const id = schema["x-parser-schema-id"];
  if (typeof id === "string" && !ANONYMOUS_ID.test(id)) return { name: typeName(id), origin: "component" };
  const key = componentKey(schema);
  return key === undefined ? undefined : { name: typeName(key), origin: "component" };
}

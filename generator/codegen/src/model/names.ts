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

const ANONYMOUS_ID = /^<anonymous-schema-\d+>$/;

/** The name a schema has in the contract: its title, else its component key. Undefined when anonymous. */
export function schemaName(schema: { readonly [key: string]: unknown }): string | undefined {
  if (typeof schema.title === "string" && schema.title.length > 0) return schema.title;
  const id = schema["x-parser-schema-id"];
  if (typeof id === "string" && !ANONYMOUS_ID.test(id)) return id;
  return undefined;
}

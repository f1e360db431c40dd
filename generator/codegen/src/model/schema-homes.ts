import { isDeepStrictEqual } from "node:util";
import type { NamedSchema, ServiceModel } from "./service-model.js";

/** What linking needs of a contract's model. */
type Contract = Pick<ServiceModel, "service" | "file" | "schemas">;

/** The output folder of schemas written in files that are not contracts of the run (e.g. contracts/shared/). */
export const SHARED_FOLDER = "shared";

/** The schemas one output folder's code uses: those it declares and those it imports from another folder. */
export interface SchemaFolder {
  readonly folder: string;
  /** Every schema the folder's types and validators need (declared and imported), in a stable order. */
  readonly schemas: readonly NamedSchema[];
  /** The schemas declared elsewhere: name -> the folder that declares it. Absent names are declared here. */
  readonly imports: ReadonlyMap<string, string>;
}

export interface SchemaHomes {
  /** By service name, one per model. */
  readonly services: ReadonlyMap<string, SchemaFolder>;
  /** The shared folder, when some schema is written in a file that is not a contract of the run. */
  readonly shared: SchemaFolder | undefined;
}

/**
 * One concept, one place: decides which folder declares each schema (README, "Where a schema is generated").
 * A schema belongs to the file it is written in, after following `$ref`s: written in a contract of the run, it is
 * declared in that contract's folder; written in a file that is no AsyncAPI document (a shared file of schemas), in
 * the shared folder; written in a contract outside the run (`isContract`), it is copied where it is used.
 * Every other folder that uses it imports it from there. A folder imports a schema only when its home declares it
 * under the same name with the same content; otherwise (the home does not use it, a derived name differs) the
 * folder declares its own copy, so the output always compiles.
 */
export function schemaHomes(
  models: readonly Contract[],
  isContract: (file: string) => boolean = () => false,
): SchemaHomes {
  const serviceOfFile = new Map(models.map((m) => [m.file, m.service]));
  // A contract that is not part of the run writes no folder to import from: its schemas are copied.
  const ownerOf = (model: Contract, schema: NamedSchema): string =>
    schema.file === undefined || schema.file === model.file
      ? model.service
      : (serviceOfFile.get(schema.file) ?? (isContract(schema.file) ? model.service : SHARED_FOLDER));

  // What each contract declares because it is written there; what the shared folder declares (first one wins).
  const declared = new Map<string, Map<string, NamedSchema>>();
  const shared = new Map<string, { schema: NamedSchema; model: Contract }>();
  for (const model of models) {
    const own = new Map<string, NamedSchema>();
    for (const schema of model.schemas) {
      const owner = ownerOf(model, schema);
      if (owner === model.service) own.set(schema.name, schema);
      else if (owner === SHARED_FOLDER && !shared.has(schema.name))
        shared.set(schema.name, { schema, model });
    }
    declared.set(model.service, own);
  }
  declared.set(SHARED_FOLDER, new Map([...shared].map(([name, { schema }]) => [name, schema])));

  /** The folder to import `schema` from, or undefined when `folder` must declare it itself. */
  const homeOf = (folder: string, owner: string, schema: NamedSchema): string | undefined => {
    if (owner === folder) return undefined;
    const there = declared.get(owner)?.get(schema.name);
    return there && isDeepStrictEqual(there.schema, schema.schema) ? owner : undefined;
  };

  const services = new Map<string, SchemaFolder>();
  for (const model of models) {
    const imports = new Map<string, string>();
    for (const schema of model.schemas) {
      const home = homeOf(model.service, ownerOf(model, schema), schema);
      if (home !== undefined) imports.set(schema.name, home);
    }
    services.set(model.service, { folder: model.service, schemas: model.schemas, imports });
  }
  return { services, shared: shared.size > 0 ? sharedFolder(shared, ownerOf, homeOf) : undefined };
}

/** The shared schemas and, transitively, every schema they reference (imported from its home, or copied). */
function sharedFolder(
  shared: ReadonlyMap<string, { schema: NamedSchema; model: Contract }>,
  ownerOf: (model: Contract, schema: NamedSchema) => string,
  homeOf: (folder: string, owner: string, schema: NamedSchema) => string | undefined,
): SchemaFolder {
  const schemas = new Map<string, NamedSchema>();
  const imports = new Map<string, string>();
  const visit = (schema: NamedSchema, model: Contract): void => {
    if (schemas.has(schema.name)) return;
    schemas.set(schema.name, schema);
    const owner = shared.get(schema.name)?.schema === schema ? SHARED_FOLDER : ownerOf(model, schema);
    const home = homeOf(SHARED_FOLDER, owner, schema);
    if (home !== undefined) imports.set(schema.name, home);
    // Imported or not, what it references is part of the closure Modelina and ajv need.
    for (const name of referencedNames(schema.schema)) {
      const next = model.schemas.find((s) => s.name === name);
      if (next) visit(next, model);
    }
  };
  for (const { schema, model } of shared.values()) visit(schema, model);
  return { folder: SHARED_FOLDER, schemas: [...schemas.values()], imports };
}

/** The names a converted schema refers to (`$ref: "#/$defs/<Name>"`), in document order. */
export function referencedNames(node: unknown, into: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) referencedNames(item, into);
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "enum" || key === "const" || key === "examples" || key === "default") continue;
      if (key === "$ref" && typeof value === "string" && value.startsWith("#/$defs/")) {
        const name = value.slice("#/$defs/".length);
        if (!into.includes(name)) into.push(name);
      } else referencedNames(value, into);
    }
  }
  return into;
}

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { MessageSpec } from "@asyncgen/runtime";
import type { GeneratedFile } from "../src/emit/generated-file.js";
import { generate } from "../src/generate.js";
import { ContractLoader } from "../src/load/load-contracts.js";
import { discoverContracts } from "../src/load/discover.js";
import { buildServiceModel } from "../src/model/build-model.js";
import type { ServiceModel } from "../src/model/service-model.js";
import { cli, expectGoldenTree, FIXTURES, REPO } from "./helpers.js";

/**
 * Documents shaped like the ones people publish (the specification's examples, company case studies), written for
 * this project, one per feature: each generates through the CLI (exit 0; a crash is exit 3), matches its golden tree
 * under test/golden/corpus/ (type-checked under `strict` by `npm run typecheck`), and its generated validators accept
 * every example the document gives. UPDATE_GOLDEN=1 rewrites the goldens.
 */
const CORPUS = path.join(FIXTURES, "corpus");
const GOLDEN = path.resolve(import.meta.dirname, "golden/corpus");
const CASES = readdirSync(CORPUS).sort();

interface Generated {
  readonly files: GeneratedFile[];
  readonly models: ServiceModel[];
  readonly notes: string[];
}
const generated = new Map<string, Generated>();

beforeAll(async () => {
  const loader = new ContractLoader({ root: REPO });
  for (const name of CASES) {
    const contracts = await loader.loadAll(discoverContracts(path.join(CORPUS, name)));
    const notes: string[] = [];
    const files = await generate(contracts, { onNote: (n) => notes.push(n) });
    generated.set(name, { files, models: contracts.map(buildServiceModel), notes });
  }
}, 120_000);

function file(name: string, filePath: string): string {
  const found = generated.get(name)!.files.find((f) => f.path === filePath);
  if (!found) throw new Error(`${name} generated no ${filePath}`);
  return found.content;
}

describe("the corpus of third-party-shaped documents", () => {
  it("has a case per feature", () => {
    expect(CASES).toEqual([
      "amqp-routing-keys",
      "chat-ws",
      "json-schema",
      "message-names",
      "multi-format",
      "operation-ids",
      "recursion-and-traits",
      "request-reply",
      "schema-names",
      "social-media",
      "streetlights-mqtt",
      "v3-1",
    ]);
  });

  it.each(CASES)("%s generates through the CLI with exit 0", async (name) => {
    const out = mkdtempSync(path.join(tmpdir(), `asyncgen-corpus-${name}-`));
    try {
      const result = await cli("generate", "--contracts-dir", path.join(CORPUS, name), "--out", out);
      expect(result.err).toBe("");
      expect(result.code).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it.each(CASES)("%s matches its golden tree", (name) => {
    expectGoldenTree(path.join(GOLDEN, name), generated.get(name)!.files);
  });

  it.each(CASES)("%s: the generated validators accept every example of the document", async (name) => {
    let checked = 0;
    for (const model of generated.get(name)!.models) {
      const module = (await import(path.join(GOLDEN, name, model.service, "messages.ts"))) as Record<
        string,
        MessageSpec<unknown>
      >;
      for (const message of model.messages) {
        const spec = module[message.typeName]!;
        expect(spec.name).toBe(message.name);
        for (const example of message.examples) {
          const label = `${model.service} ${message.name} ${example.name ?? ""}`;
          expect(
            spec.validatePayload(example.payload),
            `${label}: ${JSON.stringify(spec.validatePayload.errors)}`,
          ).toBe(true);
          if (example.headers !== undefined)
            expect(spec.validateHeaders?.(example.headers) ?? true, label).toBe(true);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it.each(CASES)("%s: no anonymous or tool-invented names", (name) => {
    for (const f of generated.get(name)!.files)
      expect(f.content).not.toMatch(/AnonymousSchema|anonym|<anonymous/i);
  });
});

describe("what each corpus case is for", () => {
  it("message-names: a message without `name` travels under its component or channel message key", () => {
    const messages = file("message-names", "signups/messages.ts");
    expect(messages).toContain('name: "userSignedUp",'); // the parser's message id: its key in the channel
    expect(messages).toContain('name: "userInvited",');
    // The message UserSignedUp and the schema UserSignedUp share a name: imported once, value and type merged.
    expect(file("message-names", "signups/client.ts")).toMatch(
      /import \{ UserInvited, type UserInvitedPayload, UserSignedUp \}/,
    );
  });

  it("schema-names: component keys, message + Payload, parent + property, primitives and empty payloads", () => {
    const messages = file("schema-names", "comments/messages.ts");
    for (const declaration of [
      "export interface CommentLikedPayload {",
      "export type SentAt = string;",
      "export interface CommentPostedPayloadComment {",
      "export interface CommentPostedPayloadCommentAuthor {",
      "export interface CommentPostedPayloadMentionsItem {",
      "export type RawNotePayload = string;",
      "export type AnythingPayload = unknown;",
      "export type PingPayload = unknown;",
    ])
      expect(messages).toContain(declaration);
  });

  it("json-schema: unions, intersections, tuples, nullable and constant values; unknown formats are said", async () => {
    const messages = file("json-schema", "pets/messages.ts");
    expect(messages).toContain("export type Pet = Cat | Dog;");
    expect(messages).toContain("export type Position = [number, number, string];");
    expect(messages).toContain("microchip?: string | null;");
    expect(generated.get("json-schema")!.notes.join("\n")).toContain(
      'pets: format "iri-reference" is not checked (ajv-formats does not know it); any string is accepted',
    );
    const module = (await import(path.join(GOLDEN, "json-schema/pets/messages.ts"))) as Record<
      string,
      MessageSpec<unknown>
    >;
    const registered = module.PetRegistered!;
    const dog = {
      pet: { petType: "dog", name: "Rex", packSize: 0 },
      owner: { name: "Sam" },
      schemaVersion: 2,
    };
    expect(registered.validatePayload(dog)).toBe(false); // packSize minimum 1, inside a oneOf branch
    expect(
      registered.validatePayload({ ...dog, pet: { petType: "dog", name: "Rex" }, schemaVersion: 3 }),
    ).toBe(false);
    expect(module.PositionReported!.validatePayload([1, 2, "2026-12-01T12:00:00Z", "extra"])).toBe(false);
  });

  it("operation-ids: ids that are not identifiers become camelCase methods; the id stays in the JSDoc", () => {
    const client = file("operation-ids", "accounts/client.ts");
    expect(client).toContain("userDeletedPublish(payload: Account,");
    expect(client).toContain("_2faReset(payload: Account,");
    expect(client).toContain("Operation `user/deleted.publish` of the contract.");
    const handlers = file("operation-ids", "accounts/handlers.ts");
    expect(handlers).toContain("userSignedupSubscribe(message: Account,");
    expect(handlers).toContain('operationId: "userSignedupSubscribe"');
    expect(handlers).toContain('{ name: "user.signedup"');
  });

  it("streetlights-mqtt and chat-ws: types, validators and address functions, no AMQP client or queue", () => {
    for (const [name, service, protocol] of [
      ["streetlights-mqtt", "streetlights", "mqtt"],
      ["chat-ws", "chat", "wss"],
    ] as const) {
      const paths = generated.get(name)!.files.map((f) => f.path);
      expect(paths).not.toContain(`${service}/client.ts`);
      expect(paths).not.toContain(`${service}/handlers.ts`);
      expect(file(name, `${service}/contract.ts`)).toContain("consumes: [],");
      expect(generated.get(name)!.notes).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${service}: types and validators only, .*\\(${protocol}\\): asyncgen generates those for AMQP`,
          ),
        ),
      ]);
    }
    const channels = file("streetlights-mqtt", "streetlights/channels.ts");
    expect(channels).toContain("export function dimAddress(parameters: {");
    expect(channels).toContain('readonly mode: "soft" | "hard";');
    expect(channels).toContain("return `city/lights/${parameters.lampId}/dim/${parameters.mode}`;");
  });

  it("amqp-routing-keys: a routing key with parameters is built from the caller's values, never sent literally", () => {
    const client = file("amqp-routing-keys", "order-events/client.ts");
    expect(client).toContain("parameters: Parameters<typeof orderCreatedAddress>[0],");
    expect(client).toContain('{ exchange: "orders", routingKey: orderCreatedAddress(parameters) }');
    expect(file("amqp-routing-keys", "order-events/channels.ts")).toContain(
      'readonly region: "eu" | "us" | "apac";',
    );
  });

  it("recursion-and-traits: a payload that $refs itself becomes a recursive type, validated at every depth", async () => {
    expect(file("recursion-and-traits", "category-tree/messages.ts")).toContain(
      "children?: NodePayloadChildrenItem[];",
    );
    const module = (await import(
      path.join(GOLDEN, "recursion-and-traits/category-tree/messages.ts")
    )) as Record<string, MessageSpec<unknown>>;
    expect(
      module.Node!.validatePayload({ value: "a", children: [{ value: "b", children: [{ value: 3 }] }] }),
    ).toBe(false);
  });

  it("multi-format: a Multi Format Schema payload is its JSON Schema; known formats checked, unknown ones said", async () => {
    expect(file("multi-format", "sensor-archive/messages.ts")).toContain("export interface MultiPayload {");
    expect(generated.get("multi-format")!.notes).toContain(
      'sensor-archive: format "color" is not checked (ajv-formats does not know it); any string is accepted',
    );
    const module = (await import(path.join(GOLDEN, "multi-format/sensor-archive/messages.ts"))) as Record<
      string,
      MessageSpec<unknown>
    >;
    expect(module.Multi!.validatePayload({ n: "three" })).toBe(false);
    expect(module.WithId!.validatePayload({ when: "yesterday" })).toBe(false); // date, known to ajv-formats
  });

  it("social-media: one service per subfolder, named after its folder, shared schemas declared once", () => {
    const paths = generated.get("social-media")!.files.map((f) => f.path);
    expect(paths).toContain("comments-service/client.ts");
    expect(paths).toContain("notification-service/handlers.ts");
    // Written in common/ (not a contract): declared once in shared/, imported by both services.
    const shared = file("social-media", "shared/messages.ts");
    expect(shared).toContain("export interface LikeCount {");
    expect(shared).toContain("export type CommentId = string;");
    for (const service of ["comments-service", "notification-service"]) {
      const messages = file("social-media", `${service}/messages.ts`);
      expect(messages).not.toMatch(/export (interface|type) LikeCount\b/);
      expect(messages).toMatch(/import type \{[^}]*\bLikeCount\b[^}]*\} from "\.\.\/shared\/messages\.js";/);
    }
    expect(paths.filter((p) => p.endsWith("validators.js"))).toEqual(["shared/validators.js"]);
  });

  it("request-reply: operation.reply gives the handler its Outcome and the client its reply queue", () => {
    const handlers = file("request-reply", "quote-desk/handlers.ts");
    expect(handlers).toContain("): Promise<Outcome<QuoteGivenPayload, QuoteRefusedPayload>>;");
    expect(handlers).toContain("replies: { success: QuoteGiven, failure: QuoteRefused }");
    const client = file("request-reply", "buyer/client.ts");
    expect(client).toContain('{ ...options, replyTo: "buyer.replies" }');
    expect(file("request-reply", "buyer/handlers.ts")).toContain("onQuoteGiven(message: QuoteGivenPayload");
  });
});

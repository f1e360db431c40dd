import type { SourceLocation } from "../errors.js";
import type { NameOrigin } from "./names.js";

/**
 * The generator's view of one service contract: everything the emitters need, resolved once, in a stable order.
 * Emitters read only this, never the parser's objects, so they stay small and deterministic.
 */
export type JsonSchema = { readonly [key: string]: unknown };

/** A schema that becomes a named TypeScript type and a validator. */
export interface NamedSchema {
  readonly name: string;
  /** The schema with AsyncAPI-only keywords removed and named sub-schemas replaced by `$ref: "#/$defs/<Name>"`. */
  readonly schema: JsonSchema;
  readonly description: string | undefined;
  /** Where the name came from: a title, a component key, or the schema's place (see names.ts). */
  readonly origin: NameOrigin;
  /** Where the schema first stands in the contract, e.g. `#/components/messages/CookDish/payload`. */
  readonly place: string;
  /** The message it first stands in. */
  readonly location: SourceLocation;
  /**
   * The file the schema is written in (after following every `$ref`), e.g. `contracts/shared/headers.yaml`;
   * undefined when it cannot be told. Decides which output folder declares it (see model/schema-homes.ts).
   */
  readonly file: string | undefined;
}

export interface MessageExample {
  readonly name: string | undefined;
  readonly payload: unknown;
  readonly headers: unknown;
}

export interface MessageModel {
  /** TypeScript name, PascalCase of the message's key, e.g. `CreateTicket`. */
  readonly typeName: string;
  /** The wire type (AMQP `type` property), e.g. `restaurant_service.create_ticket`. */
  readonly name: string;
  readonly title: string | undefined;
  readonly summary: string | undefined;
  readonly description: string | undefined;
  /** Name of the NamedSchema of the payload. */
  readonly payload: string;
  /** Name of the NamedSchema of the headers, when the message declares headers. */
  readonly headers: string | undefined;
  readonly examples: readonly MessageExample[];
  /** Where the contract first names this message (for findings). */
  readonly location: SourceLocation;
}

export interface QueueModel {
  readonly name: string;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  /** `x-` arguments from the binding, e.g. `x-queue-type`, `x-delivery-limit`, sorted by key. */
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** A `{name}` in a channel address; its value is given when sending. */
export interface ChannelParameter {
  readonly name: string;
  readonly enum: readonly string[] | undefined;
  readonly description: string | undefined;
}

export interface ChannelModel {
  readonly id: string;
  /** The channel's address; `""` when the contract leaves it to run time (`address: null`). */
  readonly address: string;
  /** `amqp`, or the other protocols of the channel's servers (`mqtt`, `kafka+ws`), or `none`. */
  readonly protocol: string;
  readonly parameters: readonly ChannelParameter[];
  readonly location: SourceLocation;
  /** The queue the channel's AMQP binding names (`is: queue`). */
  readonly queue: QueueModel | undefined;
  /** The exchange the channel's AMQP binding names (`is: routingKey`). */
  readonly exchange: { readonly name: string; readonly type: string; readonly durable: boolean } | undefined;
}

export interface OperationModel {
  /** The operation id as in the contract, e.g. `createTicket` or `user/signedup.subscribe`. */
  readonly id: string;
  /** The method name derived from the id (names.ts `methodName`), e.g. `userSignedupSubscribe`. */
  readonly method: string;
  readonly action: "send" | "receive";
  readonly title: string | undefined;
  readonly summary: string | undefined;
  readonly channel: ChannelModel;
  readonly messages: readonly MessageModel[];
  readonly reply:
    | {
        readonly channel: ChannelModel | undefined;
        /** A runtime reply address, e.g. `$message.header#/replyTo`. */
        readonly address: string | undefined;
        readonly messages: readonly MessageModel[];
      }
    | undefined;
  readonly location: SourceLocation;
}

export interface ServiceModel {
  /** File stem, e.g. `restaurant-service`; the output folder's name. */
  readonly service: string;
  /** PascalCase of the service, e.g. `RestaurantService`. */
  readonly typeName: string;
  readonly title: string;
  readonly version: string;
  readonly description: string | undefined;
  /** Contract path relative to the repository root and its content hash, for banners. */
  readonly file: string;
  readonly hash: string;
  readonly schemas: readonly NamedSchema[];
  readonly messages: readonly MessageModel[];
  readonly operations: readonly OperationModel[];
}

import { camelCase } from "../model/names.js";
import type { ServiceModel } from "../model/service-model.js";
import { addressFunctionName } from "./channels.js";
import { isSendable, operationIdNote, repliesOf, routeOf } from "./operations-view.js";
import { Imports } from "./imports.js";
import { docLines } from "./templates.js";

/** View model of `client.ts`: one method per message of every send operation. Undefined when nothing is sent. */
export function clientView(model: ServiceModel): object | undefined {
  const sends = model.operations.filter(isSendable);
  if (sends.length === 0) return undefined;
  const className = `${model.typeName}Client`;
  const methods = sends.flatMap((operation) => {
    const replies = repliesOf(operation);
    const replyQueue = operation.reply?.channel?.queue?.name ?? null;
    // A reply whose address the contract leaves to run time (`address: null`, `$message.header#/replyTo`): the
    // caller names it on every send.
    const callerReplies = operation.reply !== undefined && replyQueue === null;
    const replyNames = [replies?.success, replies?.failure]
      .filter((m) => m !== undefined)
      .map((m) => m.name)
      .join("` or `");
    // A routing key with parameters is built by the channel's address function from the caller's values.
    const parameterized = operation.channel.parameters.length > 0;
    const route = routeOf(operation.channel);
    const addressFunction = parameterized ? addressFunctionName(operation.channel) : null;
    return operation.messages.map((message) => ({
      method: operation.messages.length === 1 ? operation.method : camelCase(message.typeName),
      message: message.typeName,
      payloadType: message.payload,
      route,
      exchange: JSON.stringify(route.exchange),
      routingKey: addressFunction ? `${addressFunction}(parameters)` : JSON.stringify(route.routingKey),
      parametersType: addressFunction ? `Parameters<typeof ${addressFunction}>[0]` : null,
      replyTo: replyQueue,
      successReply: replies?.success.typeName ?? null,
      failureReply: replies?.failure?.typeName ?? null,
      optionsType: callerReplies
        ? `${className}SendOptions & { readonly replyTo: string }`
        : `${className}SendOptions`,
      doc: docLines(
        [operation.title ?? message.title, operation.summary ?? message.summary].filter(Boolean).join(": "),
        operationIdNote(operation),
        `Publishes \`${message.name}\` to \`${route.routingKey}\`` +
          (replies && replyQueue
            ? `; the receiver replies \`${replyNames}\` to \`${replyQueue}\`.`
            : replies && callerReplies
              ? `; the receiver replies \`${replyNames}\` to the \`replyTo\` given.`
              : "."),
        "Validates the payload before anything touches the wire; resolves when the broker confirms.",
      ),
    }));
  });
  const imports = new Imports()
    .add("@asyncgen/runtime", "send", "value")
    .add("@asyncgen/runtime", "SendOptions", "type")
    .add("@asyncgen/runtime", "Transport", "type")
    .add("./contract.js", "contractVersion", "value");
  for (const m of methods) {
    if (m.parametersType) imports.add("./channels.js", m.routingKey.replace("(parameters)", ""), "value");
    imports.add("./messages.js", m.message, "value").add("./messages.js", m.payloadType, "type");
    for (const reply of [m.successReply, m.failureReply])
      if (reply) imports.add("./messages.js", reply, "value");
  }
  return {
    className,
    imports: imports.lines(),
    // The commands table holds static routes; a routing key with parameters is only built by the client method.
    commands: methods.filter((m) => m.parametersType === null),
    commandsName: `${model.typeName[0]!.toLowerCase()}${model.typeName.slice(1)}Commands`,
    methods,
  };
}

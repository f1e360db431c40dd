import type { ServiceModel } from "../model/service-model.js";
import { importList } from "./client.js";
import { handlerViews } from "./operations-view.js";

/**
 * View model of `handlers.ts`: the interface a service implements (one method per received command or reply) and
 * the spec `serve()` needs per consumed queue. Undefined when the service receives nothing.
 */
export function handlersView(model: ServiceModel): object | undefined {
  const handlers = handlerViews(model);
  if (handlers.length === 0) return undefined;
  const queues = [...new Set(handlers.map((h) => h.queue))].map((name) => {
    const queue =
      model.operations
        .flatMap((o) => [o.channel.queue, o.reply?.channel?.queue])
        .find((q) => q?.name === name && Object.keys(q.arguments).length > 0) ??
      model.operations
        .flatMap((o) => [o.channel.queue, o.reply?.channel?.queue])
        .find((q) => q?.name === name)!;
    return {
      name,
      durable: queue.durable,
      arguments: JSON.stringify(queue.arguments),
      operations: handlers.filter((h) => h.queue === name),
    };
  });
  const imports = handlers.flatMap((h) => [
    h.message,
    `type ${h.payloadType}`,
    ...(h.successSpec ? [h.successSpec] : []),
    ...(h.failureSpec ? [h.failureSpec] : []),
  ]);
  const replyTypes = model.messages
    .filter((m) => handlers.some((h) => h.successSpec === m.typeName || h.failureSpec === m.typeName))
    .map((m) => `type ${m.payload}`);
  return {
    interfaceName: `${model.typeName}Handlers`,
    specsName: `${model.typeName[0]!.toLowerCase()}${model.typeName.slice(1)}Queues`,
    serveName: `serve${model.typeName}`,
    service: model.service,
    version: model.version,
    usesOutcome: handlers.some((h) => h.successSpec !== null),
    imports: importList([...imports, ...replyTypes]),
    handlers,
    queues,
  };
}

import type { ServiceModel } from "../model/service-model.js";
import { Imports } from "./imports.js";
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
  const imports = new Imports()
    .add("@asyncgen/runtime", "serve", "value")
    .add("./contract.js", "contractVersion", "value");
  for (const name of ["MessageContext", "ServeOptions", "ServiceSpec", "Transport"])
    imports.add("@asyncgen/runtime", name, "type");
  if (handlers.some((h) => h.successSpec !== null)) imports.add("@asyncgen/runtime", "Outcome", "type");
  for (const h of handlers) {
    imports.add("./messages.js", h.message, "value").add("./messages.js", h.payloadType, "type");
    for (const spec of [h.successSpec, h.failureSpec]) if (spec) imports.add("./messages.js", spec, "value");
  }
  for (const m of model.messages)
    if (handlers.some((h) => h.successSpec === m.typeName || h.failureSpec === m.typeName))
      imports.add("./messages.js", m.payload, "type");
  return {
    interfaceName: `${model.typeName}Handlers`,
    specsName: `${model.typeName[0]!.toLowerCase()}${model.typeName.slice(1)}Queues`,
    serveName: `serve${model.typeName}`,
    service: model.service,
    version: model.version,
    imports: imports.lines(),
    handlers,
    queues,
  };
}

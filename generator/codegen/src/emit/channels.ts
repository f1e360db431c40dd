import { methodName } from "../model/names.js";
import type { ChannelModel, ServiceModel } from "../model/service-model.js";
import { docLines } from "./templates.js";

/**
 * View model of `channels.ts`: a typed address function per channel whose address has parameters
 * (`city/lights/{lampId}/measured` -> `lightMeasuredAddress({ lampId })`), for every protocol. Undefined when no
 * channel has parameters.
 */
export function channelsView(model: ServiceModel): object | undefined {
  const channels = new Map<string, ChannelModel>();
  for (const operation of model.operations) {
    for (const channel of [operation.channel, operation.reply?.channel]) {
      if (channel && channel.parameters.length > 0 && !channels.has(channel.id))
        channels.set(channel.id, channel);
    }
  }
  if (channels.size === 0) return undefined;
  return {
    functions: [...channels.values()].map((channel) => ({
      name: addressFunctionName(channel),
      parameters: channel.parameters.map((p) => ({
        key: /^[A-Za-z_$][\w$]*$/.test(p.name) ? p.name : JSON.stringify(p.name),
        type: p.enum ? p.enum.map((v) => JSON.stringify(v)).join(" | ") : "string",
        doc: p.description ? docLines(p.description) : [],
      })),
      body: addressExpression(channel),
      doc: docLines(
        `The address of channel \`${channel.id}\`${channel.protocol === "none" ? "" : ` (${channel.protocol})`}: ` +
          `\`${channel.address}\`, with each parameter put in its place as given.`,
      ),
    })),
  };
}

export function addressFunctionName(channel: ChannelModel): string {
  return `${methodName(channel.id)}Address`;
}

/** A template literal that fills the address's `{name}` placeholders from `parameters`. */
function addressExpression(channel: ChannelModel): string {
  const escape = (text: string) => text.replace(/[`\\]/g, "\\$&").replaceAll("${", "\\${");
  const parts = channel.address.split(/\{([^}]+)\}/);
  return (
    "`" +
    parts
      .map((part, index) => {
        if (index % 2 === 0) return escape(part);
        const access = /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
        return `\${parameters${access}}`;
      })
      .join("") +
    "`"
  );
}

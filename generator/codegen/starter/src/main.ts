import { connectAmqp } from "@asyncgen/runtime";
import { serveGreeterService } from "../generated/greeter-service/index.js";
import { handlers } from "./handlers.js";

const url = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const where = url.replace(/\/\/[^@/]*@/, "//***@"); // never log the password

const transport = await connectAmqp(url, { connectionName: "greeter-service" });
const server = await serveGreeterService(transport, handlers);
console.log(`greeter-service: serving greeter_service.commands on RabbitMQ at ${where}`);

const stop = async (): Promise<void> => {
  await server.close();
  await transport.close();
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());

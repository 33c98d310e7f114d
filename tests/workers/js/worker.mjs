// A Camunda external-task worker written as any integrator would, with Camunda's own client library: it checks
// the NIK of one task of topic nik-check, then stops. Usage: node worker.mjs BASE_URL CLIENT SECRET MODE
// MODE is "complete" (answers nik_valid), "bpmnError" (NIK_INVALID) or "failure" (no retries left).
import { Client, BasicAuthInterceptor, Variables } from "camunda-external-task-client-js";

const [baseUrl, username, password, mode] = process.argv.slice(2);
const client = new Client({
  baseUrl,
  workerId: "js-worker",
  interceptors: new BasicAuthInterceptor({ username, password }),
  asyncResponseTimeout: 2000,
  lockDuration: 10000,
  autoPoll: false,
});

const done = (code) => {
  client.stop();
  process.exit(code);
};
client.on("complete:error", (task, error) => { console.error("complete failed", error); done(2); });
client.on("handleBpmnError:error", (task, error) => { console.error("bpmnError failed", error); done(2); });
client.on("handleFailure:error", (task, error) => { console.error("failure failed", error); done(2); });
client.on("poll:error", (error) => { console.error("poll failed", error); done(3); });

client.subscribe("nik-check", async ({ task, taskService }) => {
  const nik = task.variables.get("nik");
  if (mode === "complete") {
    const variables = new Variables().set("nik_valid", nik.startsWith("73")).set("name", "ANDI PRATAMA");
    await taskService.complete(task, variables);
    console.log(`completed ${task.id} ${task.businessKey}`);
  } else if (mode === "bpmnError") {
    await taskService.handleBpmnError(task, "NIK_INVALID", "unknown NIK", new Variables().set("nik_valid", false));
    console.log(`bpmnError ${task.id}`);
  } else {
    await taskService.handleFailure(task, { errorMessage: "registry down", errorDetails: "HTTP 503", retries: 0,
      retryTimeout: 1000 });
    console.log(`failure ${task.id}`);
  }
  done(0);
});
client.start();
setTimeout(() => { console.error("no task within 20 s"); done(4); }, 20000);

/** The queue's configuration without Redis: URL checks, serve/worker flags, device routing, worker names. */
import assert from "node:assert/strict";
import test from "node:test";
import { parseServeArgs } from "../../src/cli/args.js";
import { runWorker } from "../../src/cli/worker.js";
import { workerNames } from "../../src/store/queue-redis.js";
import { parseQueueUrl, queueDevice, queueName } from "../../src/store/queue-url.js";
import { UserError } from "../../src/util/errors.js";

test("queue URLs: redis:// or rediss:// with host, port and db; the display form hides a password", () => {
  assert.deepEqual(parseQueueUrl("redis://127.0.0.1:6390/2"), { url: "redis://127.0.0.1:6390/2", display: "redis://127.0.0.1:6390/2" });
  assert.equal(parseQueueUrl("redis://:s3cret@queue.lab:6379").display, "redis://queue.lab:6379");
  assert.equal(parseQueueUrl("rediss://queue.lab").display, "rediss://queue.lab:6379");
  for (const bad of ["http://queue.lab:6379", "queue.lab:6379", "redis://queue.lab/db1", "not a url"]) {
    assert.throws(() => parseQueueUrl(bad), (e: unknown) => e instanceof UserError && /redis:\/\/HOST:PORT/.test(e.fix ?? ""), bad);
  }
});

test("serve --queue and CEBRA_MCP_QUEUE choose the Redis backend (the flag wins); none: embedded", () => {
  assert.equal(parseServeArgs([], {}, "/tmp").queue, undefined);
  assert.equal(parseServeArgs([], { CEBRA_MCP_QUEUE: "redis://a:1/0" }, "/tmp").queue, "redis://a:1/0");
  assert.equal(parseServeArgs(["--queue", "redis://b:2"], { CEBRA_MCP_QUEUE: "redis://a:1/0" }, "/tmp").queue, "redis://b:2");
  assert.throws(() => parseServeArgs(["--queue", "amqp://b"], {}, "/tmp"), UserError);
});

test("jobs wait in their device's queue; auto (or none) waits in the cpu queue", () => {
  assert.equal(queueName(queueDevice("cuda")), "cebra-jobs-cuda");
  assert.equal(queueName(queueDevice("webgpu")), "cebra-jobs-webgpu");
  assert.equal(queueName(queueDevice("auto")), "cebra-jobs-cpu");
  assert.equal(queueName(queueDevice(undefined)), "cebra-jobs-cpu");
});

test("cebra-mcp worker refuses bad flags before connecting", async () => {
  await assert.rejects(runWorker([], {}), (e: unknown) => e instanceof UserError && /needs the queue's Redis/.test(e.problem));
  await assert.rejects(runWorker(["--queue", "redis://a:1", "--device", "tpu"], {}), (e: unknown) => e instanceof UserError && /cpu, cuda, webgpu/.test(e.fix ?? ""));
  await assert.rejects(runWorker(["--queue", "redis://a:1", "--concurrency", "0"], {}), (e: unknown) => e instanceof UserError && /concurrency/.test(e.problem));
  await assert.rejects(runWorker(["--queue", "redis://a:1", "--bogus"], {}), (e: unknown) => e instanceof UserError && e.code === "bad_flag");
});

test("worker names come from BullMQ's client list, once per worker (a worker holds several connections)", () => {
  const clients = [
    { name: "cebra-jobs-cpu", rawname: "cebra:Y2VicmEtam9icy1jcHU=:w:gpu1:42", addr: "10.0.0.5:1" },
    { name: "cebra-jobs-cpu", rawname: "cebra:Y2VicmEtam9icy1jcHU=:w:gpu1:42", addr: "10.0.0.5:2" },
    { name: "cebra-jobs-cpu", rawname: "cebra:Y2VicmEtam9icy1jcHU=:w:node7:9", addr: "10.0.0.7:1" },
  ];
  assert.deepEqual(workerNames(clients), ["gpu1:42", "node7:9"]);
});

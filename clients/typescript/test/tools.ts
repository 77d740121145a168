// The agent frameworks' tools, each called through its framework's own tool
// interface, running real code on a real sandpit serve.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { type ToolCallPart, type ToolResultPart, generateText, isStepCount } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { ToolMessage } from "@langchain/core/messages";
import { RunContext, protocol } from "@openai/agents";

import { Sandpit } from "@sandpit/client";
import { sandpitTool as aiTool } from "@sandpit/client/ai";
import { sandpitTool as langchainTool } from "@sandpit/client/langchain";
import { sandpitTool as agentsTool } from "@sandpit/client/openai-agents";

import { pngCode, redPngBase64 } from "./png.js";
import { type Servers, startServers } from "./server.js";

let srv: Servers;
let sandpit: Sandpit;

before(async () => {
  srv = await startServers();
  sandpit = new Sandpit({ baseUrl: srv.main.url });
});

const calls = { toolCallId: "call-1", messages: [], context: {} };

describe("Vercel AI SDK tool", () => {
  test("a run's text: status, stdout and result", async () => {
    const t = aiTool({ client: sandpit });
    const out = await t.execute({ code: "print(sum(range(10)))\n6 * 7" }, calls);
    assert.equal(out.isError, false);
    assert.match(out.text, /^status: succeeded \(exit code 0\)\n/);
    assert.match(out.text, /\nstdout:\n45\n/);
    assert.match(out.text, /\nresult: 42\n/);
    assert.deepEqual(await t.toModelOutput({ toolCallId: "call-1", input: { code: "" }, output: out }), {
      type: "content",
      value: [{ type: "text", text: out.text }],
    });
  });

  test("an exception is an error-text with the traceback", async () => {
    const t = aiTool({ client: sandpit });
    const out = await t.execute({ code: "def f():\n    raise ValueError('bad input')\nf()" }, calls);
    assert.equal(out.isError, true);
    assert.equal(out.job?.status, "failed");
    assert.match(out.text, /^status: failed: the code raised ValueError: bad input \(exit code 1\)/);
    assert.match(out.text, /Traceback \(most recent call last\)/);
    const model = await t.toModelOutput({ toolCallId: "call-1", input: { code: "" }, output: out });
    assert.deepEqual(model, { type: "error-text", value: out.text });
  });

  test("a call sandpit refuses is an error result with the API's code and message", async () => {
    const t = aiTool({ client: sandpit });
    const out = await t.execute({ code: "1", timeout_ms: 10_000_000 }, calls);
    assert.equal(out.isError, true);
    assert.equal(out.refused?.code, "invalid");
    assert.match(out.text, /^error: invalid: timeout_ms: must be at most 300000/);
  });

  test("an image the code wrote reaches the model as a file part, through generateText", async () => {
    const t = aiTool({ client: sandpit });
    const toolCall: ToolCallPart = {
      type: "tool-call",
      toolCallId: "call-png",
      toolName: "run_python",
      input: { code: pngCode("chart.png") },
    };
    const model = new MockLanguageModelV4({
      doGenerate: [
        {
          content: [{ type: "tool-call", toolCallId: toolCall.toolCallId, toolName: "run_python", input: JSON.stringify(toolCall.input) }],
          finishReason: { unified: "tool-calls", raw: "tool_calls" },
          usage: usage(),
          warnings: [],
        },
        {
          content: [{ type: "text", text: "a red square" }],
          finishReason: { unified: "stop", raw: "stop" },
          usage: usage(),
          warnings: [],
        },
      ],
    });
    const result = await generateText({
      model,
      tools: { run_python: t },
      prompt: "draw a red square",
      stopWhen: isStepCount(2),
    });
    assert.equal(result.text, "a red square");
    // The second model call got the tool's result as toModelOutput made it.
    const prompt = model.doGenerateCalls[1]!.prompt;
    const toolMessage = prompt.find((m) => m.role === "tool");
    assert.ok(toolMessage, JSON.stringify(prompt));
    const part = toolMessage.content.find((p): p is Extract<typeof p, { type: "tool-result" }> => p.type === "tool-result");
    assert.ok(part);
    const output = part.output as Extract<ToolResultPart["output"], { type: "content" }>;
    assert.equal(output.type, "content");
    const [text, image] = output.value;
    assert.equal(text?.type, "text");
    assert.match((text as { text: string }).text, /chart\.png \(image\/png, \d+ bytes\): an image, shown below/);
    assert.equal(image?.type, "file");
    const file = image as { mediaType: string; data: { type: string; data: string } };
    assert.equal(file.mediaType, "image/png");
    assert.equal(file.data.type, "data");
    assert.equal(file.data.data, redPngBase64);
  });

  test("with session, calls share one interpreter until close()", async () => {
    const t = aiTool({ client: sandpit, session: true });
    try {
      const first = await t.execute({ code: "x = 41\nopen('state.txt', 'w').write('kept')" }, calls);
      assert.equal(first.isError, false, first.text);
      const second = await t.execute({ code: "print(open('state.txt').read())\nx + 1" }, calls);
      assert.match(second.text, /stdout:\nkept\n/);
      assert.match(second.text, /result: 42/);

      // The session ends behind the tool's back, as one that expired would:
      // the next call runs in a new one and says the state is gone.
      const ended = await t.runner.sessionId();
      await (await sandpit.getSession(ended!)).close();
      const third = await t.execute({ code: "'x' in globals()" }, calls);
      assert.match(third.text, /^note: the session had ended \(closed\); this ran in a new session/);
      assert.match(third.text, /result: False/);
      assert.notEqual(await t.runner.sessionId(), ended);
    } finally {
      await assertClosesSession(t.runner, () => t.close());
    }
  });
});

describe("LangChain.js tool", () => {
  test("a run's text, in a ToolMessage when invoked with a tool call", async () => {
    const t = langchainTool({ client: sandpit });
    assert.equal(t.name, "run_python");
    const msg = await t.invoke({ type: "tool_call", id: "call-1", name: "run_python", args: { code: "print('hi')\n6 * 7" } });
    assert.ok(msg instanceof ToolMessage);
    assert.equal(msg.tool_call_id, "call-1");
    assert.equal(msg.status, "success");
    assert.equal(typeof msg.content, "string");
    assert.match(msg.content as string, /^status: succeeded/);
    assert.match(msg.content as string, /stdout:\nhi\n[\s\S]*result: 42/);
    assert.equal((msg.artifact as { status: string }).status, "succeeded");
    // Invoked with bare arguments, it answers the content alone.
    const bare = await t.invoke({ code: "1 + 1" });
    assert.match(bare as unknown as string, /result: 2/);
  });

  test("an exception is a ToolMessage with status error and the traceback", async () => {
    const t = langchainTool({ client: sandpit });
    const msg = await t.invoke({ type: "tool_call", id: "call-2", name: "run_python", args: { code: "1 / 0" } });
    assert.ok(msg instanceof ToolMessage);
    assert.equal(msg.status, "error");
    assert.match(msg.content as string, /^status: failed: the code raised ZeroDivisionError: division by zero/);
    assert.match(msg.content as string, /Traceback/);
  });

  test("a call sandpit refuses is a ToolMessage with status error and the API's message", async () => {
    const t = langchainTool({ client: sandpit });
    const msg = await t.invoke({ type: "tool_call", id: "c", name: "run_python", args: { code: "1", timeout_ms: 10_000_000 } });
    assert.ok(msg instanceof ToolMessage);
    assert.equal(msg.status, "error");
    assert.match(msg.content as string, /^error: invalid: timeout_ms: must be at most 300000/);
  });

  test("input that breaks the schema is refused by LangChain before it runs", async () => {
    const t = langchainTool({ client: sandpit });
    await assert.rejects(t.invoke({ code: 42 } as never), /did not match expected schema/);
  });

  test("an image the code wrote is an image_url block with a data URL", async () => {
    const t = langchainTool({ client: sandpit });
    const msg = await t.invoke({ type: "tool_call", id: "call-3", name: "run_python", args: { code: pngCode("figs/red.png") } });
    assert.ok(msg instanceof ToolMessage);
    const blocks = msg.content as Array<{ type: string; text?: string; image_url?: { url: string } }>;
    assert.equal(blocks[0]!.type, "text");
    assert.match(blocks[0]!.text!, /figs\/red\.png \(image\/png/);
    assert.deepEqual(blocks[1], { type: "image_url", image_url: { url: `data:image/png;base64,${redPngBase64}` } });
    // LangChain reads it as a standard image block.
    const standard = msg.contentBlocks.find((b) => b.type === "image") as { mimeType?: string; data?: unknown } | undefined;
    assert.ok(standard, JSON.stringify(msg.contentBlocks));
    assert.equal(standard.mimeType, "image/png");
  });

  test("with session, calls share one interpreter until close()", async () => {
    const t = langchainTool({ client: sandpit, session: { files: [{ path: "n.txt", content: "40" }] } });
    try {
      await t.invoke({ code: "n = int(open('n.txt').read())" });
      const msg = await t.invoke({ type: "tool_call", id: "s2", name: "run_python", args: { code: "n + 2" } });
      assert.match((msg as ToolMessage).content as string, /result: 42/);
    } finally {
      await assertClosesSession(t.runner, () => t.close());
    }
  });
});

describe("OpenAI Agents SDK tool", () => {
  const ctx = () => new RunContext();

  test("a run's text, as a text output", async () => {
    const t = agentsTool({ client: sandpit });
    assert.equal(t.type, "function");
    assert.equal(t.name, "run_python");
    assert.equal(t.strict, true);
    assert.deepEqual(t.parameters.required, ["code", "files", "packages", "timeout_ms"]);
    const out = await t.invoke(ctx(), JSON.stringify({ code: "print('hi')\n6 * 7", files: null, packages: null, timeout_ms: null }));
    const items = out as Array<{ type: string; text?: string }>;
    assert.equal(items.length, 1);
    protocol.ToolOutputText.parse(items[0]);
    assert.match(items[0]!.text!, /^status: succeeded[\s\S]*stdout:\nhi\n[\s\S]*result: 42/);
  });

  test("an exception says so first, with the traceback", async () => {
    const t = agentsTool({ client: sandpit });
    const out = (await t.invoke(ctx(), JSON.stringify({ code: "import json\njson.loads('{')" }))) as Array<{ text?: string }>;
    assert.match(out[0]!.text!, /^status: failed: the code raised JSONDecodeError: /);
    assert.match(out[0]!.text!, /Traceback/);
  });

  test("a call sandpit refuses says the API's code and message", async () => {
    const t = agentsTool({ client: sandpit });
    const out = (await t.invoke(ctx(), JSON.stringify({ code: "1", timeout_ms: 10_000_000 }))) as Array<{ text?: string }>;
    assert.match(out[0]!.text!, /^error: invalid: timeout_ms: must be at most 300000/);
  });

  test("an image the code wrote is an image output", async () => {
    const t = agentsTool({ client: sandpit });
    const out = (await t.invoke(ctx(), JSON.stringify({ code: pngCode("plot.png") }))) as unknown[];
    assert.equal(out.length, 2);
    const image = protocol.ToolOutputImage.parse(out[1]);
    assert.deepEqual(image.image, { data: redPngBase64, mediaType: "image/png" });
  });

  test("with session, calls share one interpreter until close()", async () => {
    const t = agentsTool({ client: sandpit, session: true });
    try {
      await t.invoke(ctx(), JSON.stringify({ code: "import math\nr = math.sqrt(1764)" }));
      const out = (await t.invoke(ctx(), JSON.stringify({ code: "int(r)" }))) as Array<{ text?: string }>;
      assert.match(out[0]!.text!, /result: 42/);
    } finally {
      await assertClosesSession(t.runner, () => t.close());
    }
  });
});

/** Checks that close() closes the session the tool's calls ran in. */
async function assertClosesSession(runner: { sessionId(): Promise<string | undefined> }, close: () => Promise<void>) {
  const id = await runner.sessionId();
  assert.ok(id, "the calls opened a session");
  assert.equal((await sandpit.getSession(id)).info.status, "open");
  await close();
  assert.equal((await sandpit.getSession(id)).info.status, "closed");
}

function usage() {
  return {
    inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: 1, text: 1, reasoning: 0 },
  };
}

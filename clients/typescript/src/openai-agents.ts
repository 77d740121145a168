// @sandpit/client/openai-agents: a tool for the OpenAI Agents SDK that runs
// Python in sandpit.
import { type FunctionTool, type ToolOutputImage, type ToolOutputText, tool } from "@openai/agents";

import { type SandpitToolOptions, type SandpitToolResult, SandpitRunner, inputSchema } from "./tools/core.js";

export type { SandpitToolInput, SandpitToolOptions, SandpitToolResult } from "./tools/core.js";

/** What the tool returns to the agent: text, then the images. */
export type SandpitAgentOutput = Array<ToolOutputText | ToolOutputImage>;

/** The Agents SDK function tool, with close() to end its session. */
export type SandpitAgentsTool = FunctionTool<unknown, typeof inputSchema, SandpitAgentOutput> & {
  /** Closes the tool's session, when it keeps one. */
  close(): Promise<void>;
  /** The runner behind the tool, with its client. */
  readonly runner: SandpitRunner;
};

/**
 * sandpitTool returns an OpenAI Agents SDK function tool (made with the SDK's
 * tool()) that runs the model's Python in sandpit and answers the status and
 * output as a text output and each image the code wrote as an image output.
 * A failed run, or a call sandpit refused, says so first in the text.
 */
export function sandpitTool(options: SandpitToolOptions): SandpitAgentsTool {
  const runner = new SandpitRunner(options);
  const t = tool({
    name: runner.name,
    description: runner.description,
    parameters: inputSchema,
    execute: async (input, _context, details) => toOutput(await runner.call(input, details?.signal)),
  }) as FunctionTool<unknown, typeof inputSchema, SandpitAgentOutput>;
  return Object.assign(t, { close: () => runner.close(), runner });
}

/** The result in the Agents SDK's tool output types. */
export function toOutput(res: SandpitToolResult): SandpitAgentOutput {
  return [
    { type: "text", text: res.text },
    ...res.images.map((img): ToolOutputImage => ({ type: "image", image: { data: img.data, mediaType: img.mediaType } })),
  ];
}

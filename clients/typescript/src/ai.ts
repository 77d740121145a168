// @sandpit/client/ai: a tool for the Vercel AI SDK that runs Python in sandpit.
import { type Tool, type ToolExecutionOptions, tool } from "ai";

import { type SandpitToolInput, type SandpitToolOptions, type SandpitToolResult, SandpitRunner, inputSchema } from "./tools/core.js";

export type { SandpitToolInput, SandpitToolOptions, SandpitToolResult } from "./tools/core.js";

/** What a tool's toModelOutput returns: the AI SDK's ToolResultOutput. */
export type ToolResultOutput = Awaited<ReturnType<NonNullable<Tool["toModelOutput"]>>>;

/** The AI SDK tool, with close() to end its session. */
export type SandpitAiTool = {
  /** Runs one call, as the SDK does for the model's tool calls. */
  execute(input: SandpitToolInput, options: ToolExecutionOptions<{}>): Promise<SandpitToolResult>;
  /** The result as the model sees it. */
  toModelOutput(options: { toolCallId: string; input: SandpitToolInput; output: SandpitToolResult }): ToolResultOutput;
  /** Closes the tool's session, when it keeps one. */
  close(): Promise<void>;
  /** The runner behind the tool, with its client. */
  readonly runner: SandpitRunner;
} & Tool<SandpitToolInput, SandpitToolResult>;

/**
 * sandpitTool returns an AI SDK tool (made with the SDK's tool()) that runs
 * the model's Python in sandpit. Its execute resolves with a
 * SandpitToolResult; its toModelOutput gives the model the status and output
 * as text and each image the code wrote as a file part, or, for a failed run
 * with no image, an error-text. Name it by its key in `tools`:
 * `tools: { run_python: sandpitTool({ client }) }`.
 */
export function sandpitTool(options: SandpitToolOptions): SandpitAiTool {
  const runner = new SandpitRunner(options);
  const t = tool<SandpitToolInput, SandpitToolResult, {}>({
    description: runner.description,
    inputSchema,
    execute: (input, { abortSignal }) => runner.call(input, abortSignal),
    toModelOutput: ({ output }) => toModelOutput(output),
  });
  return Object.assign(t, { close: () => runner.close(), runner }) as SandpitAiTool;
}

/** The result as the model sees it, in the AI SDK's tool output types. */
export function toModelOutput(res: SandpitToolResult): ToolResultOutput {
  if (res.isError && res.images.length === 0) {
    return { type: "error-text", value: res.text };
  }
  return {
    type: "content",
    value: [
      { type: "text", text: res.text },
      ...res.images.map((img) => ({
        type: "file" as const,
        mediaType: img.mediaType,
        filename: img.path,
        data: { type: "data" as const, data: img.data },
      })),
    ],
  };
}

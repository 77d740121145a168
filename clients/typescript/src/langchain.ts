// @sandpit/client/langchain: a LangChain.js tool that runs Python in sandpit.
import { ToolMessage } from "@langchain/core/messages";
import { type DynamicStructuredTool, tool } from "@langchain/core/tools";

import { type SandpitToolOptions, type SandpitToolResult, SandpitRunner, inputSchema } from "./tools/core.js";

export type { SandpitToolInput, SandpitToolOptions, SandpitToolResult } from "./tools/core.js";

/** A LangChain content block of the result: text, or an image as a data URL. */
export type SandpitContentBlock = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

/** The LangChain tool, with close() to end its session. */
export type SandpitLangChainTool = DynamicStructuredTool<typeof inputSchema> & {
  /** Closes the tool's session, when it keeps one. */
  close(): Promise<void>;
  /** The runner behind the tool, with its client. */
  readonly runner: SandpitRunner;
};

/**
 * sandpitTool returns a LangChain tool (made with @langchain/core's tool())
 * that runs the model's Python in sandpit. Invoked with a tool call, it
 * answers a ToolMessage whose content is the status and output as text and
 * each image the code wrote as an image_url block with a data URL, whose
 * status is "error" when the run failed or sandpit refused it, and whose
 * artifact is the SandpitToolResult's job (less the files' contents).
 * Invoked with bare arguments, it answers the content alone.
 */
export function sandpitTool(options: SandpitToolOptions): SandpitLangChainTool {
  const runner = new SandpitRunner(options);
  const t = tool(
    async (input, config) => {
      const res = await runner.call(input, config?.signal);
      const content = toContent(res);
      const call = (config as { toolCall?: { id?: string } } | undefined)?.toolCall;
      if (!call?.id) {
        return content;
      }
      return new ToolMessage({
        content,
        artifact: res.job ?? { error: res.refused },
        tool_call_id: call.id,
        name: runner.name,
        status: res.isError ? "error" : "success",
      });
    },
    { name: runner.name, description: runner.description, schema: inputSchema },
  ) as DynamicStructuredTool<typeof inputSchema>;
  return Object.assign(t, { close: () => runner.close(), runner });
}

/** The result as LangChain content: a string, or blocks when there are images. */
export function toContent(res: SandpitToolResult): string | SandpitContentBlock[] {
  if (res.images.length === 0) {
    return res.text;
  }
  return [
    { type: "text", text: res.text },
    ...res.images.map((img) => ({
      type: "image_url" as const,
      image_url: { url: `data:${img.mediaType};base64,${img.data}` },
    })),
  ];
}

import { aiSdkStack } from "./ai-sdk.ts";
import { anthropicStack } from "./anthropic.ts";
import { bedrockStack } from "./bedrock.ts";
import { googleGenAiStack } from "./google-genai.ts";
import { openaiStack } from "./openai.ts";
import type { BenchStack } from "./types.ts";

export const STACKS = {
  openai6: openaiStack(6),
  openai7: openaiStack(7),
  anthropic1: anthropicStack,
  genai3: googleGenAiStack,
  bedrock3: bedrockStack,
  ai7: aiSdkStack("telemetry"),
  ai7mw: aiSdkStack("middleware"),
} satisfies Record<string, BenchStack>;
export type StackName = keyof typeof STACKS;

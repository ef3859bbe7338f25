/**
 * The AI SDK names a model's provider "openai.responses", "google.generative-ai",
 * "amazon-bedrock", ...; the GenAI conventions (gen_ai.provider.name) name them
 * "openai", "gcp.gemini", "aws.bedrock". Unknown providers keep their first part.
 */
const GENAI_PROVIDER: Record<string, string> = {
  openai: "openai",
  azure: "azure.ai.openai",
  "azure-openai": "azure.ai.openai",
  anthropic: "anthropic",
  google: "gcp.gemini",
  "google.generative-ai": "gcp.gemini",
  "google.vertex": "gcp.vertex_ai",
  vertex: "gcp.vertex_ai",
  "amazon-bedrock": "aws.bedrock",
  bedrock: "aws.bedrock",
  mistral: "mistral_ai",
  xai: "x_ai",
  groq: "groq",
  deepseek: "deepseek",
  cohere: "cohere",
  perplexity: "perplexity",
};

export function genAiProviderName(aiSdkProvider: string | undefined): string {
  if (!aiSdkProvider) return "unknown";
  const name = aiSdkProvider.toLowerCase();
  const [first = name, second] = name.split(".");
  return GENAI_PROVIDER[name] ?? (second ? GENAI_PROVIDER[`${first}.${second}`] : undefined) ?? GENAI_PROVIDER[first] ?? first;
}

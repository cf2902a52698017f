"""The optional generative model: a LangChain chat model over an OpenAI-compatible endpoint or the local
GGUF (chat), and provisioning the local engine and model offline (provision)."""

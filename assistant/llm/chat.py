"""The chat model behind the opt-in generative mode: a served endpoint, or the local GGUF file.

- ``ChatModelConfig.base_url`` set: any OpenAI-compatible server (vLLM, llama.cpp's server, a hosted API)
  through ``langchain_openai.ChatOpenAI`` — the way to run a larger model for many users.
- otherwise: the GGUF file that ``make llm`` assembles (DESIGN §1), run in-process by llama-cpp-python
  through ``LlamaCppChatModel`` below, a small LangChain chat model. langchain-community's
  ``ChatLlamaCpp`` would do the same, but it defaults to ``n_batch=8`` (half the prompt speed), warns
  that it is being sunset, and would add a package for 80 lines.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from ingest.errors import ModelUnavailable

# The local model's context: the answer prompt is ~1,500 tokens with 6 passages of 220 tokens,
# plus up to llm_max_tokens of answer.
LOCAL_CONTEXT_TOKENS = 4096
# 512 instead of llama.cpp-python wrappers' small defaults: measured 6.9 s vs 15.2 s for a 1,010-token
# prompt on 2 threads (DESIGN §1 pitfalls).
LOCAL_BATCH_TOKENS = 512
ENDPOINT_TIMEOUT_S = 120.0

_ROLES = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant"}


@dataclass(frozen=True)
class ChatModelConfig:
    """Where the chat model is: an endpoint (``base_url``), else the local GGUF at ``gguf_path``."""

    gguf_path: Path
    base_url: str = ""
    model: str = "local"
    api_key: str = "not-needed"
    max_tokens: int = 256
    threads: int = 2

    @property
    def available(self) -> bool:
        """Configured at all: an endpoint named, or the GGUF file present (not whether it loads)."""
        return bool(self.base_url) or Path(self.gguf_path).is_file()


def build_chat_model(config: ChatModelConfig) -> BaseChatModel:
    """The configured chat model; ModelUnavailable when neither an endpoint nor the GGUF is there."""
    if config.base_url:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            base_url=config.base_url,
            model=config.model,
            api_key=config.api_key,
            temperature=0.0,
            streaming=True,
            timeout=ENDPOINT_TIMEOUT_S,
            # ChatOpenAI sends its own limit as max_completion_tokens, which OpenAI-compatible servers
            # such as llama.cpp's ignore; max_tokens in the body is the field they all read.
            extra_body={"max_tokens": config.max_tokens},
        )
    return LlamaCppChatModel.load(config.gguf_path, threads=config.threads, max_tokens=config.max_tokens)


class LlamaCppChatModel(BaseChatModel):
    """A llama_cpp.Llama in-process, greedy decoding, using the chat template stored in the GGUF."""

    model_path: str
    n_ctx: int = LOCAL_CONTEXT_TOKENS
    n_batch: int = LOCAL_BATCH_TOKENS
    n_threads: int = 2
    max_tokens: int = 256
    temperature: float = 0.0

    _llama: Any = PrivateAttr(default=None)
    # One Llama object holds one KV cache: two web requests decoding at once would corrupt each other.
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def load(cls, path: Path, threads: int, max_tokens: int) -> LlamaCppChatModel:
        if not path.is_file():
            raise ModelUnavailable(
                f"The local LLM file {path} does not exist. Run `make llm` to build it, "
                "or set CCHC_LLM_BASE_URL to an OpenAI-compatible endpoint."
            )
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise ModelUnavailable(
                f"llama-cpp-python is not installed in this environment ({error}). Run `make llm`, "
                "or set CCHC_LLM_BASE_URL to an OpenAI-compatible endpoint."
            ) from None
        model = cls(model_path=str(path), n_threads=threads, max_tokens=max_tokens)
        try:
            model._llama = Llama(
                model_path=str(path),
                n_ctx=model.n_ctx,
                n_batch=model.n_batch,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as error:
            raise ModelUnavailable(f"llama.cpp could not load {path}: {error}. Run `make llm` to rebuild it.") from None
        return model

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "temperature": self.temperature,
                "max_tokens": self.max_tokens}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,  # required by the BaseChatModel interface; nothing here reads it
    ) -> ChatResult:
        with self._lock:
            response = self._completion(messages, stop, stream=False)
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata={"finish_reason": choice.get("finish_reason"), "model_name": self.model_path},
            usage_metadata={
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,  # required by the BaseChatModel interface; nothing here reads it
    ) -> Iterator[ChatGenerationChunk]:
        with self._lock:
            for part in self._completion(messages, stop, stream=True):
                choice = part["choices"][0]
                piece = choice["delta"].get("content") or ""
                finish = choice.get("finish_reason")
                if not piece and not finish:
                    continue  # the role-only first delta
                chunk = ChatGenerationChunk(
                    message=AIMessageChunk(content=piece, response_metadata={"finish_reason": finish} if finish else {})
                )
                if run_manager and piece:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk

    def _completion(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool) -> Any:
        if self._llama is None:
            raise ModelUnavailable("LlamaCppChatModel was created without a model; use LlamaCppChatModel.load(...)")
        return self._llama.create_chat_completion(
            messages=[_to_openai(m) for m in messages],
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            stop=stop or [],
            stream=stream,
        )


def _to_openai(message: BaseMessage) -> dict[str, str]:
    role = next((r for cls, r in _ROLES.items() if isinstance(message, cls)), None)
    if role is None:
        raise ValueError(f"LlamaCppChatModel handles system, human and AI messages; got {type(message).__name__}")
    if not isinstance(message.content, str):
        raise ValueError(f"LlamaCppChatModel handles text content only; got {type(message.content).__name__}")
    return {"role": role, "content": message.content}

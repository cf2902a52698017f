"""A small OpenAI-compatible ``/v1/embeddings`` server over a sentence-transformers folder, run as its own
process by the endpoint tests: it stands where text-embeddings-inference or vLLM would, speaking their wire
format (a list of inputs in, float or base64 float32 vectors out), on loopback only.

    python tests/vectorstore/embedding_server.py MODEL_FOLDER PORT
"""

from __future__ import annotations

import base64
import sys

import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sentence_transformers import SentenceTransformer


class Request(BaseModel):
    input: list[str] | str
    model: str = ""
    encoding_format: str = "float"


def build_app(folder: str) -> FastAPI:
    model = SentenceTransformer(folder, device="cpu", local_files_only=True)
    app = FastAPI()

    @app.post("/v1/embeddings")
    def embeddings(request: Request) -> dict:
        texts = [request.input] if isinstance(request.input, str) else request.input
        vectors = model.encode(texts, normalize_embeddings=False, convert_to_numpy=True).astype(np.float32)
        data = [{"object": "embedding", "index": i,
                 "embedding": base64.b64encode(v.tobytes()).decode() if request.encoding_format == "base64"
                 else v.tolist()} for i, v in enumerate(vectors)]
        return {"object": "list", "model": request.model, "data": data,
                "usage": {"prompt_tokens": 0, "total_tokens": 0}}

    return app


if __name__ == "__main__":
    uvicorn.run(build_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")

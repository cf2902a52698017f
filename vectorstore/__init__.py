"""Storage: Chroma (registry + chunks), embeddings, the keyword index, offline model provisioning, and the
ingest writer. Takes plain arguments, never Settings."""

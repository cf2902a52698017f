"""The ground layer: a file becomes a document with metadata, commitments and chunks (no storage, no
model). Also the domain errors, text normalisation and province names every layer uses."""

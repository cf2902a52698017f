"""The product above the storage layer: question understanding, retrieval, answering, the composition root
(pipeline), and its entry points (cli, app, batch)."""

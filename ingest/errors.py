"""Domain errors. Stages raise these; only the edges (CLI, web app) turn them into user messages."""


class AssistantError(Exception):
    """Base class: the message is written for the person who sees it."""


class ConfigError(AssistantError):
    """A setting has a value the product cannot use."""


class ModelUnavailable(AssistantError):
    """A model (embedding or LLM) is not provisioned or cannot be loaded offline."""


class IngestError(AssistantError):
    """A file cannot be ingested; the message names the file and the reason."""


class IndexUnavailable(AssistantError):
    """The Chroma store cannot be opened or reached."""


class EmptyIndex(AssistantError):
    """No documents have been ingested yet."""


class BadQuestion(AssistantError):
    """The question cannot be answered as given (empty, too long, ...)."""


class IndexBusy(AssistantError):
    """Another writer (an ingest, a repair) holds the index for longer than this one may wait."""

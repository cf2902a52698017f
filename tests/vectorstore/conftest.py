from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import Settings
from vectorstore.models import e5_small_dir, provision_e5_small


@pytest.fixture(scope="session")
def e5_folder() -> Path:
    """The real multilingual-e5-small folder at its usual place (what `make setup` builds; a no-op if built)."""
    return provision_e5_small(e5_small_dir(Settings.from_env().models_dir))

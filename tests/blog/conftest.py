import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    """Media files in a directory of the test's own (the storage follows the setting)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT

import pytest

from .helpers import open_survey


@pytest.fixture
def opened(district):
    """(campaign, survey) with the survey open from 2022-07-01 to 2022-07-31; threshold 80%, 3 responses minimum."""
    return open_survey(district)

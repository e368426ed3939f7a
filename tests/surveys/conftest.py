import pytest

# glyph_guard (autouse): fail on a missing glyph in any PDF; rq_queue: run queued jobs with REDIS_URL.
from ..test_reports import glyph_guard, rq_queue  # noqa: F401
from .helpers import open_survey


@pytest.fixture
def opened(district):
    """(campaign, survey) with the survey open from 2022-07-01 to 2022-07-31; threshold 80%, 3 responses minimum."""
    return open_survey(district)

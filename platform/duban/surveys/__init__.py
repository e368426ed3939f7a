"""Residents' satisfaction surveys (群众满意度测评): a campaign's survey, its public per-unit links,
anonymous responses, results rolled up by unit, posters, exports and the low-score follow-up."""

"""Supervision (督查督办): urging laggards, escalation records, violation clues, circulars and spot checks."""

"""Placeholder being written in this session."""
DEMO_PASSWORD = "demo1234"
DEMO_USERS = []


def seed_demo(only_if_empty=False):
    return False

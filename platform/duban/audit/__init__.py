"""The append-only audit trail: who did what, when, to which object, with old and new values."""

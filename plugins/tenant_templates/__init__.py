"""Built-in plugin: serves each tenant's own declarative campaign templates (saved from plan drafts)."""

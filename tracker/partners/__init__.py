"""Regions, partners, contacts, engagements and follow-ups."""

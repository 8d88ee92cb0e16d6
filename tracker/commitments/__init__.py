"""Anchor commitments, co-investments, training programmes and milestones."""

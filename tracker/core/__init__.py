"""Pieces every domain shares: money, time, audit events and FX rates."""

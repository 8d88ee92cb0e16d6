"""Scheduled scans, alerts and notifications."""

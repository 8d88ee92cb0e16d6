"""Incentives, their obligations, compliance reports and agency promises."""

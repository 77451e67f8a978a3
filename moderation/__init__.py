"""Moderation phases, queues, user profiles, roles and statuses."""

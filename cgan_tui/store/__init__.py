"""Persistence: SQLModel tables, engine set-up and named queries. Imports sqlmodel, never torch."""

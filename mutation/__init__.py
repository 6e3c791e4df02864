"""Mutation testing of the rules (`make mutation`, docs/testing.md)."""

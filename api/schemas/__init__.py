"""Pydantic request and response models; never domain objects."""

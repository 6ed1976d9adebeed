"""Recipes that reproduce the shipped models from ../shared/data (extra ``[train]``)."""

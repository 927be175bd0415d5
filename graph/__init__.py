"""Assembling the dataset from loader facts, validating, exporting, and the CLI."""

"""Report reading, extractors, curated statements and the entity registry.

Loaders turn the report texts into :class:`~sensekg.loaders.facts.Fact` objects.
They never import :mod:`sensekg.graph`; the graph layer consumes what they emit.
"""

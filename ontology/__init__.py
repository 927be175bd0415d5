"""The sensekg OWL vocabulary (``sensekg.ttl``) and SHACL shapes (``shapes.ttl``), shipped as data."""

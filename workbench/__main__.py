"""``python -m sensekg``: the command line, as the ``sensekg`` script runs it."""

from sensekg.graph.cli import run

run(prog_name="sensekg")

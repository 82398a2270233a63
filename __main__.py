"""`python -m cohesion`: the same command as `cohesion`."""

from cohesion.cli import app

if __name__ == "__main__":
    app(prog_name="cohesion")

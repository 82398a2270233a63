"""Download the public training datasets into the folder `cohesion train --data` reads.

    python scripts/fetch_training_data.py --out training-data [--dataset NAME ...]
        [--include-gpl] [--base-url URL]

The work is done by `cohesion.classify.dataset_fetch` (so an installed Cohesion can run
it too, as `python -m cohesion.classify.dataset_fetch`); see docs/training-data.md.
"""

from __future__ import annotations

from cohesion.classify.dataset_fetch import main

if __name__ == "__main__":
    raise SystemExit(main())

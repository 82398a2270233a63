"""The jobs Cohesion runs, one module each, on the runtime (cohesion/runtime.py).

- `setup`: first run (`cohesion init`) and schema upgrades;
- `crawl`: crawl the sources (locally or on Scrapyd nodes);
- `classify`: classify stored posts, in one process or as parallel workers;
- `report`: the weekly report, trend series and alerts;
- `patterns`: storylines and coordinated posting, and alerts on bursts;
- `review`: the review app and retraining from reviews;
- `purge`: the retention purge;
- `status`: what `cohesion status` shows.

cli.py and scheduler.py only parse their input and call one of these.
"""

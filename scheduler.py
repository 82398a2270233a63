"""APScheduler jobs: nightly crawl and classify, weekly report, retention purge."""

"""Patterns across posts: storylines (storylines.py) and coordinated, copy-paste posting
(coordination.py).

Computed on the fly from the store for a week of posts; used by the weekly report, the
review app, the command line and the alerts, so this package sits below reports and
review and imports neither.
"""

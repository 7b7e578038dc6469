"""Reports over a range of days (content, engagement, users), as CSV or JSON files.

Modules, lowest first: `builders` (the tables and their files), `generation` (what the
job does), `tasks` (the job), `services` (create, request, purge), `selectors`.
"""

"""The one Redis of the cache, the rate limiter, the login lockout, the view counter and
the shared metrics counters: how to reach it (`client`) and when not to try (`circuit`)."""

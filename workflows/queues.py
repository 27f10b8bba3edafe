"""Queue names and actor priorities, in one place.

The NLP queue runs in its own worker group (one or two threads per process, the model loaded
once per process); the others share a small general group. Lower priority number = sooner
(dramatiq orders a worker's in-memory work queue by it).
"""
NLP = "nlp"  # classify_reviews / classify_tickets: CPU-bound, batches of <= 200 ids
DEFAULT = "default"  # ledger resync, pending-work sweep, SLA escalation, verification
NOTIFY = "notify"  # webhook / e-mail delivery (network-bound)
EXPORTS = "exports"  # scheduled weekly/monthly exports (added by the exports module)

ALL = (NLP, DEFAULT, NOTIFY, EXPORTS)
# Worker groups started by `feedback worker` (each a `dramatiq` process group).
GROUPS = {
    "nlp": (NLP,),
    "general": (DEFAULT, NOTIFY, EXPORTS),
}

PRIORITY = {
    "classify": 10,
    "ledger": 20,
    "checks": 50,
    "notify": 30,
    "replies": 60,
    "exports": 100,
}

"""Background jobs on dramatiq: broker choice, queues, actors, the outbox sweeper, the scheduler.

Import ``workflows.broker`` first (``workflows.actors`` does): it sets the global dramatiq broker
from the ini file named by FEEDBACK_CONFIG (default development.ini) before any actor is declared.
"""

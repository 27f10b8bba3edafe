import os

# Importing workflows sets the global broker from the environment first: never a real queue file.
os.environ.setdefault("FEEDBACK_BROKER", "stub")

"""The queue worker's entry point: `huey_consumer wyapp.worker.huey -k thread`.

Importing it registers every feature's tasks (each feature's optional `tasks` module)
besides the core periodic tick, so the worker knows every task it may dequeue.
"""
from importlib import import_module

from .features import ENABLED
from .tasks import huey

for _path in ENABLED:
    try:
        import_module(f"{_path}.tasks")
    except ModuleNotFoundError as error:
        if error.name != f"{_path}.tasks":
            raise

__all__ = ["huey"]

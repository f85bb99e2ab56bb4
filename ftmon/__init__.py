"""ftmon: a terminal monitor for OpenAI fine-tuning jobs."""

__version__ = "0.1.0"

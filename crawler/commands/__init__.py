"""Project commands (``COMMANDS_MODULE``): ``crawl`` with exit codes that tell the truth."""

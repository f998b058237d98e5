"""Discord features, one per module; the bot loads every module here at start."""

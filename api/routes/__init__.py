"""One router per dialect, plus native reads and health."""

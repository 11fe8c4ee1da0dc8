"""Forms shared by more than one area (blueprint)."""

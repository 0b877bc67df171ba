"""The program on the counter PC: config, journal, contact store, device sessions, CLI."""

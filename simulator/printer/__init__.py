"""The virtual ESC/POS receipt printer: `interpreter` reads the byte stream into a `document`."""

"""Receipt printer (ESC/POS): the receipt model and its layout, rendering with python-escpos, DLE EOT
status as a sans-I/O core, and the ports a printer is reached through. Integrators:
docs/protocols/printer.md.
"""

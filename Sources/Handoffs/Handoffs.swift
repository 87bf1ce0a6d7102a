// Module Handoffs: see docs/MODULES.md. Work in progress on its own branch.

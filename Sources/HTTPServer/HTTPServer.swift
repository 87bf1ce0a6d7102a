// Module HTTPServer: see docs/MODULES.md. Work in progress on its own branch.

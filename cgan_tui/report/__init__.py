"""``cgan-tui report``: a self-contained HTML report and a Markdown one of a set of runs.

``data`` reads the database (torch-free), ``figures`` draws with matplotlib (Agg), ``build`` lays
out and writes both files. Nothing here is imported when the TUI starts: ``cgan_tui.cli.report_cmd``
imports it inside the command.
"""

"""Run reports: report.md / report.html with plots, written into every run dir."""

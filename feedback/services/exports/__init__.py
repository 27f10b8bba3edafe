"""Periodic root-cause summaries (XLSX with native charts, HTML with inline SVG) and ledger
exports (CSV UTF-8 with BOM, XLSX), computed with SQL aggregates and written as streams.

period.py   the export period and the periods before it
summary.py  the numbers (one read-only snapshot, everything ordered: same period, same numbers)
xlsx.py     the summary workbook: a sheet per section, native Excel charts
ledger.py   the 中差评明细表, one row per complaint, streamed
safe.py     formula neutralization for every text cell (CSV and XLSX)
svg.py      the same charts as server-side inline SVG for the web page
jobs.py     ExportJob lifecycle: create, run (in the worker), store, notify
"""

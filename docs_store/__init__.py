"""docs_store: PDF ingest, rendering, packets, annotations (see DESIGN.md §4)."""

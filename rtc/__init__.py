"""rtc: the media relay (see DESIGN.md §5)."""

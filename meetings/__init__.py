"""The meetings domain: units, bridge points, people, roles, meetings, series, scheduling, the event log."""

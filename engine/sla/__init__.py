"""Working time and SLA clocks: calendars per office, targets, pauses, at-risk and breach marks."""

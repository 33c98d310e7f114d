"""Forms: finding a diagram's JSON Schema forms, checking them, the fields they declare, their patterns (RE2),
and validating what people submit."""

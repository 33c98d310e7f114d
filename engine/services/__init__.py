"""Permit services: deploying, publishing and looking up definitions, the office rule, test runs of a draft."""

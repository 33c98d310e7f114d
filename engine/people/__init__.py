"""People: roles and who may do what, user accounts, passwords, API tokens and web sessions."""

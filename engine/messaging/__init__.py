"""Messages to people: the notification outbox, in-app lists, e-mail delivery, notices of unstaffed steps."""

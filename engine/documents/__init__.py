"""Documents: uploaded attachments, the permit letter, clean-up of uploads nobody attached."""

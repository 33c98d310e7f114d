"""What people read about the work: SLA reports and the dashboard, the satisfaction survey, tracking,
timelines and queue counts."""

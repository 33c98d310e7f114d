"""SpiffWorkflow against the database: workflow state to text and back, loading, running and saving one step,
workflows kept in memory between steps, the clock hook."""

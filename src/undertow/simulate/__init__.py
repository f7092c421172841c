"""An agent-based community of practice with power politics (Mesa) that emits a trace."""

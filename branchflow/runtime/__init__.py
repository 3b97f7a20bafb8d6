"""What runs the system: settings, the composition root, the embedded PostgreSQL and Temporal, the processes."""

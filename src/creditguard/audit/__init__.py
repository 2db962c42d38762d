"""The append-only audit log: every limit change, approval and credit decision, hash-chained."""

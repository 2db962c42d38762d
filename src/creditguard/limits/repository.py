"""Every query of limit requests and the review."""

"""Credit assessment: the credit file, the expert scorecard and the ratings (issue 5)."""

"""Risk alerts (风险预警信号): record, list and close external signals about customers."""

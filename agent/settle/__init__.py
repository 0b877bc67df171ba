"""End of day (结算): the terminal's batch totals settled with the acquirer, by the settlement flow."""

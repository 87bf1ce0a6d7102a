// Tests for Handoffs.

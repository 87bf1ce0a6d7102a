// Tests for Ledger.

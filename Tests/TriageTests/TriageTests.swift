// Tests for Triage.

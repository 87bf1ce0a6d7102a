// Tests for JSON.

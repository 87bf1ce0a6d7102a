// Tests for Service.

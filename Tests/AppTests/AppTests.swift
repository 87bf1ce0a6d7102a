// Tests for App.

// JSON value type: being written.

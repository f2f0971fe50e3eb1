"""The test suite: engine tests under engine/, studio tests under studio/, layout checks at the top."""

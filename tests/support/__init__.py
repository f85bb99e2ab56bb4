"""The toolkit the tests share (see README.md here): the simulated world and its frozen start
time, the quiet environment, the app builder, the commands on the simulator, the pty driver, the
spec check of simulator responses."""

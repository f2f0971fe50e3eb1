"""Long engine tasks run for the open document: detection, fit, overlay video; their runners and progress strip."""

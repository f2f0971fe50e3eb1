"""The open document and its state, free of widgets: the project, undo commands, playback, review flags, autosave."""

"""Threads and thread rules: the task thread, the rendering thread, the newest-request frame loader, GUI-thread GC."""

"""Modal dialogs: export, settings and the keyboard shortcut sheet."""

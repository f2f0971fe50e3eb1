"""Menu controllers: the actions of the File, Edit, Navigate and Playback menus, turned into document changes."""

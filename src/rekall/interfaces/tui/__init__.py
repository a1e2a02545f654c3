"""The terminal UI (textual): browse, search and edit entries at the speed of typing."""

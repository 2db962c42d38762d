"""The limits area's services."""

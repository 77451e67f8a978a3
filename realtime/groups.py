"""Channel group names: ASCII letters, digits, '-', '_', '.', under 100 chars."""


def story(story_id: str) -> str:
    """Group of sockets watching one story's stream."""
    return f"talk.story.{story_id}"

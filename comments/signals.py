"""Public signals for host sites. Sent after the transaction commits.

``comment_posted(sender=Comment, comment=Comment)``: a comment was created (any status).
"""

from django.dispatch import Signal

comment_posted = Signal()

"""Review and audit of configuration changes: policy diffs between git refs, history."""

from reconciler.review.policy import CustomerPolicyChange, FieldChange, policy_changes
from reconciler.review.render import ReviewSection, review_json, review_markdown, review_text
from reconciler.review.service import PolicyReview, policy_review, review_fleets

__all__ = [
    "CustomerPolicyChange",
    "FieldChange",
    "PolicyReview",
    "ReviewSection",
    "policy_changes",
    "policy_review",
    "review_fleets",
    "review_json",
    "review_markdown",
    "review_text",
]

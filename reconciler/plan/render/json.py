"""Plan as JSON (`format_version` 1): the saved plan file and machine output."""

from __future__ import annotations

import json

from reconciler.plan.model import Plan


def render_json(plan: Plan) -> str:
    data = plan.to_json()
    if plan.policy_review is not None:
        headline = plan.policy_review.headline_json()
        if headline is not None:  # at the top, after the format version
            data = {"format_version": data["format_version"], "billing_impact": headline,
                    **data}
        data["policy_review"] = plan.policy_review.to_json()
    return json.dumps(data, indent=2, sort_keys=False) + "\n"

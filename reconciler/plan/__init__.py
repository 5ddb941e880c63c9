"""reconciler.plan: live snapshot, desired additions, diff, the Plan model and renderers.

`service.make_plan(fleet, client, selection, now=...)` runs the whole pipeline;
`snapshot.read` does the bulk reads, `diff.build_plan` the pure part.
"""

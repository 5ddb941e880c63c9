"""reconciler.plan: live snapshot, desired additions, diff, the Plan model and renderers.

`service.make_plan(fleet, gateway, selection, now=...)` runs the whole pipeline;
`snapshot.read` does the bulk reads through the gateway, `diff.build_plan` the pure part;
`verify` is the Verify button on the same snapshot.
"""

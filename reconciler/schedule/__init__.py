"""reconciler.schedule"""

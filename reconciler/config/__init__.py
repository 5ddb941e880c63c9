"""reconciler.config"""

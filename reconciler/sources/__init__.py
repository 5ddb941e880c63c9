"""reconciler.sources"""

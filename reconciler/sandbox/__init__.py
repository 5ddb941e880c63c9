"""reconciler.sandbox"""

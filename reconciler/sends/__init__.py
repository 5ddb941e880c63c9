"""reconciler.sends"""

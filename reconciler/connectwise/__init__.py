"""reconciler.connectwise"""

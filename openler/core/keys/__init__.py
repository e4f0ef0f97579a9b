"""openler.core.keys"""

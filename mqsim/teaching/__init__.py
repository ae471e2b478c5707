"""The teaching layer: one module of helpers per lecture, and the checked exercises.

Nothing below this layer imports it; the notebooks call it.
"""

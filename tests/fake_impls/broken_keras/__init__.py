"""A fake Keras that cannot even be imported."""

raise ImportError("broken_keras is deliberately broken: its import fails")

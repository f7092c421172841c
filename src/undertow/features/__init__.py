"""Features shared by several metrics: interaction graph, text preparation, affect, style."""

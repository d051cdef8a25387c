"""Cost sharing: the models of DESIGN.md "Cost sharing" and the collaboration agreements."""

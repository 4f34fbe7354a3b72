"""The Dintero dialect (SPEC §5): its routes, bodies and translation."""

"""The Riverty dialect (SPEC §6): its routes, bodies, translation and errors."""

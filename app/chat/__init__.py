"""Live chat between a waiting customer and an agent, by short polling; the transcript stays on the case."""

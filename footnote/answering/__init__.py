"""From retrieved chunks to a cited answer: select sentences, decide, compose, verify."""

"""The conformance suite's own tests (beyond the doc snippets, which live in docs/)."""

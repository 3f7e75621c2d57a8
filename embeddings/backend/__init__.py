"""What the answer path reads of an index and what both backends share: the interface, candidates,
update reports, the manifest, the writer's chunking step, the BM25 terms, and where an index lives."""

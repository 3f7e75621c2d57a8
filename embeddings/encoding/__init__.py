"""Encoding text into vectors: the sentence-transformers encoder, its fast numpy query path, sentence pooling."""

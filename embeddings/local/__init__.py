"""The index directory (the default backend): FAISS, bm25s and SQLite files, one generation per change."""

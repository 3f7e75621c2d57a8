"""A worker process for ``corpus.attribution.parallel``: reads pickled ``(texts, speakers, owners)`` requests from
standard input and writes each one's ``attribute_many`` result, pickled, to standard output, until its input ends.

    python -m corpus.attribution.worker
"""
from __future__ import annotations

import pickle
import sys


def main() -> None:
    """Serve requests until standard input closes."""
    requests, results = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed goes to the log, never into the results
    from corpus.attribution.extraction import attribute_many

    while True:
        try:
            texts, speakers, owners = pickle.load(requests)
        except EOFError:
            return
        pickle.dump(attribute_many(texts, speakers, owners=owners), results, protocol=pickle.HIGHEST_PROTOCOL)
        results.flush()


if __name__ == "__main__":
    main()

"""Applications built on the library: the ``ionq-batch`` command (:mod:`.cli`), the classifier
it trains (:mod:`.train`) and the benchmarks it prints (:mod:`.bench`). Nothing in the library
imports from here."""

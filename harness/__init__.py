"""What the tests and the benchmarks share: throwaway database servers (:mod:`harness.servers`),
the reference app the SQL is counted on (:mod:`harness.app`) and the SQL counters
(:mod:`harness.counting`). Neither ``tests`` nor ``benchmarks`` imports the other; both import
this package, which is not shipped in the wheel."""

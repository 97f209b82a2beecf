"""Fuzzing support: random QDQ models, hypothesis strategies, stage-by-stage evaluation, the
property of each lowering pass, and the runner behind `canopy-fuzz`."""

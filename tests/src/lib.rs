//! End-to-end tests of the whole suite live in `tests/`.

//! Tests for the SigV4 verifier: AWS's published examples, botocore's
//! vectors, the checks that need no signer, and property tests (`fuzz_*`).

mod aws_examples;
mod botocore_vectors;
mod checks;
mod fuzz_parse;
mod fuzz_signed;
mod hostile;
mod support;

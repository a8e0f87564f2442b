//! Tests for the SigV4 verifier: AWS's published examples, botocore's
//! vectors, and the checks that need no signer.

mod aws_examples;
mod botocore_vectors;
mod checks;
mod hostile;
mod support;

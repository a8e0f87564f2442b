//! Table-driven tests. Every expected decision is written from AWS's documentation of the rule
//! (the doc page is named beside each table), never copied from the engine's output.

// Tables are long lists of tuples by design: one row per documented rule reads better than a
// type per table or a function per row.
#![allow(clippy::too_many_lines, clippy::type_complexity, clippy::items_after_statements)]

mod conditions;
mod evaluation;
mod fuzz;
mod matching;
mod parse;
mod robustness;
mod support;
mod variables;

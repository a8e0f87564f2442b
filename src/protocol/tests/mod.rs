//! Property tests of the query protocol: the form decoder and the XML writer (issue 19, item 8).

mod fuzz_params;
mod fuzz_xml;

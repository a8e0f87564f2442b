//! The query decoder: any body decodes and reads without panicking, encoded maps come back
//! unchanged, the first of repeated keys wins, and members come back in index order with
//! exactly the validation errors their values earn.

use std::collections::BTreeMap;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;

use crate::fuzzing::run;
use crate::protocol::Params;
use crate::protocol::rules::{MAX_ITEMS, MAX_TAGS, USER_NAME};

/// Bytes as a client could send them: arbitrary, or assembled from the query protocol's own
/// pieces (member paths, separators, broken escapes, non-UTF-8).
fn form_body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop::sample::select(vec![
        "Action",
        "UserName",
        "MaxItems",
        "Tags",
        ".member.",
        "1",
        "0",
        "-1",
        "4294967296",
        "Key",
        "Value",
        "=",
        "&",
        "+",
        "%",
        "%2",
        "%zz",
        "%00",
        "%FF",
        "%C3%A9",
        "%E2%82",
        ";",
        " ",
        "true",
        "FALSE",
        ".",
        "E",
        "Values",
    ]);
    prop_oneof![
        any::<Vec<u8>>(),
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat().into_bytes()),
        prop::collection::vec(prop_oneof![Just(b'%'), Just(b'&'), Just(b'='), Just(0xff_u8), any::<u8>()], 0..64),
    ]
}

fn is_entity_name(s: &str) -> bool {
    (1..=64).contains(&s.chars().count()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

#[test]
fn any_body_decodes_and_reads_without_panicking() {
    run("query decode arbitrary bodies", 15_000, form_body(), |body| {
        let params = Params::decode(&body);
        let mut f = params.fields();
        let name = f.opt_str("UserName", &USER_NAME);
        let max_items = f.opt_int("MaxItems", &MAX_ITEMS);
        f.opt_bool("Flag");
        f.str_list("Names", &USER_NAME, 5);
        f.field_list("PolicyArns", "arn", &USER_NAME, 5);
        f.tags("Tags");
        f.struct_list("E", 3, |f| (f.str("Name", &USER_NAME), f.str_list("Values", &USER_NAME, 2)));
        let valid_name = name.as_deref().is_none_or(is_entity_name);
        let valid_max = max_items.is_none_or(|n| (1..=1000).contains(&n));
        match f.finish() {
            Ok(()) => prop_assert!(valid_name && valid_max, "accepted {name:?}, {max_items:?}"),
            Err(e) => prop_assert_eq!(e.code(), "ValidationError", "{}", e.message()),
        }
        Ok(())
    });
}

#[test]
fn encoded_maps_decode_to_the_same_values() {
    let strategy = (prop::collection::btree_map(any::<String>(), any::<String>(), 0..12), any::<bool>());
    run("query encode/decode round trip", 8000, strategy, |(map, percent_spaces)| {
        // SDKs write `%20`, HTML forms `+`; both are spaces.
        let body = if percent_spaces {
            map.iter()
                .map(|(k, v)| {
                    format!("{}={}", utf8_percent_encode(k, NON_ALPHANUMERIC), utf8_percent_encode(v, NON_ALPHANUMERIC))
                })
                .collect::<Vec<_>>()
                .join("&")
        } else {
            form_urlencoded::Serializer::new(String::new()).extend_pairs(&map).finish()
        };
        let params = Params::decode(body.as_bytes());
        for (k, v) in &map {
            prop_assert_eq!(params.get(k), Some(v.as_str()), "{}", body);
        }
        Ok(())
    });
}

#[test]
fn the_first_of_repeated_keys_wins_and_the_body_wins_over_the_query() {
    let pairs = || prop::collection::vec((prop::sample::select(vec!["A", "B", "a", "A "]), any::<String>()), 0..10);
    run("query repeated keys", 8000, (pairs(), pairs()), |(body_pairs, query_pairs)| {
        let encode =
            |pairs: &[(&str, String)]| form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let body = encode(&body_pairs);
        let merged = Params::decode_request(encode(&query_pairs).as_bytes(), Some(body.as_bytes())).unwrap();
        let (body_first, query_first) = (first_values(&body_pairs), first_values(&query_pairs));
        for key in ["A", "B", "a", "A "] {
            let want = body_first.get(key).or(query_first.get(key)).map(String::as_str);
            prop_assert_eq!(merged.get(key), want, "{}", key);
        }
        Ok(())
    });
}

/// The first value of each key, by a plain reading of the pairs.
fn first_values(pairs: &[(&'static str, String)]) -> BTreeMap<&'static str, String> {
    let mut m = BTreeMap::new();
    for (k, v) in pairs {
        m.entry(*k).or_insert_with(|| v.clone());
    }
    m
}

/// Values at distinct indexes, written in a shuffled order.
fn indexed_values() -> impl Strategy<Value = Vec<(u32, String)>> {
    let value = prop_oneof![any::<String>(), "[a-z0-9_+=,.@-]{1,70}"];
    prop::collection::btree_map(1..u32::MAX, value, 0..8).prop_map(|m| m.into_iter().collect::<Vec<_>>()).prop_shuffle()
}

#[test]
fn member_lists_come_back_in_index_order_with_their_errors() {
    run("query member lists", 8000, (indexed_values(), 0usize..8), |(values, max)| {
        let pairs: Vec<(String, String)> =
            values.iter().map(|(i, v)| (format!("Names.member.{i}"), v.clone())).collect();
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
        let params = Params::decode(body.as_bytes());
        let mut f = params.fields();
        let got = f.str_list("Names", &USER_NAME, max);
        let mut want = values.clone();
        want.sort_by_key(|(i, _)| *i);
        let want: Vec<String> = want.into_iter().map(|(_, v)| v).collect();
        if want.is_empty() {
            prop_assert_eq!(got, None);
        } else {
            prop_assert_eq!(got.as_ref(), Some(&want));
        }
        let errors = want.iter().filter(|v| !is_entity_name(v)).count() + usize::from(want.len() > max);
        match f.finish() {
            Ok(()) => prop_assert_eq!(errors, 0),
            Err(e) => prop_assert!(
                e.message().starts_with(&format!("{errors} validation error")),
                "expected {} errors: {}",
                errors,
                e.message()
            ),
        }
        Ok(())
    });
}

#[test]
fn tags_come_back_in_index_order() {
    let strategy =
        prop::collection::btree_map(1..10_000u32, ("[a-zA-Z0-9 _.:/=+@-]{1,20}", "[a-zA-Z0-9 _.:/=+@-]{0,20}"), 0..60);
    run("query tags", 4000, strategy, |tags| {
        let mut pairs = Vec::new();
        for (i, (k, v)) in tags.iter().rev() {
            pairs.push((format!("Tags.member.{i}.Value"), v.clone()));
            pairs.push((format!("Tags.member.{i}.Key"), k.clone()));
        }
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
        let params = Params::decode(body.as_bytes());
        let mut f = params.fields();
        let got = f.tags("Tags").unwrap_or_default();
        let got: Vec<(&str, &str)> = got.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();
        let want: Vec<(&str, &str)> = tags.values().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(f.finish().is_ok(), tags.len() <= MAX_TAGS);
        Ok(())
    });
}

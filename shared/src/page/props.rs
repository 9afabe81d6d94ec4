//! Property tests of page tokens against hostile input: whatever a caller
//! sends as `page_token` or `page_size`, the answer is the first page, a
//! bounded cursor, or a refusal on exactly that field, never a panic; a
//! token the service made reads back as it was made; a cut-short token, one
//! for other filters or another list, or one whose header was altered is
//! refused.

use super::*;
use proptest::prelude::*;

/// Any text a caller may send, from empty to far beyond the longest token,
/// with control characters and non-ASCII included.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,64}",
        "[A-Za-z0-9_-]{0,1100}",
        "[\\x00-\\x1f\\x7f=+/ ]{0,40}",
        (0usize..20_000).prop_map(|n| "A".repeat(n)),
    ]
}

fn time_id() -> impl Strategy<Value = (Timestamp, Uuid)> {
    (
        Timestamp::MIN.as_second()..Timestamp::MAX.as_second(),
        any::<u128>(),
    )
        .prop_map(|(s, id)| {
            (
                Timestamp::from_second(s).expect("in range"),
                Uuid::from_u128(id),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_is_the_first_page_a_bounded_cursor_or_a_refusal(token in hostile_text()) {
        match PageToken::decode(&token, Fingerprint::of("ListThings", &[])) {
            Ok(None) => prop_assert!(token.is_empty()),
            Ok(Some(cursor)) => {
                prop_assert!(!cursor.is_empty() && cursor.len() <= MAX_CURSOR_LEN);
            }
            Err(error) => prop_assert_ne!(error, PageError::NegativePageSize),
        }
    }

    #[test]
    fn a_page_request_is_refused_on_exactly_its_bad_fields(
        size in any::<i32>(),
        token in hostile_text(),
    ) {
        let mut v = FieldViolations::new();
        let fingerprint = Fingerprint::of("ListThings", &[b"list"]);
        let (got_size, after) = page_args(&mut v, size, &token, fingerprint);
        let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
        let token_refused = PageToken::decode(&token, fingerprint).is_err();
        let mut expected = Vec::new();
        if size < 0 {
            expected.push("page_size");
        }
        if token_refused {
            expected.push("page_token");
        }
        prop_assert_eq!(fields, expected);
        prop_assert_eq!(got_size.is_none(), size < 0);
        if let Some(got) = got_size {
            prop_assert!((1..=MAX_PAGE_SIZE).contains(&got));
        }
        prop_assert!(after.is_none() || !token_refused);
    }

    #[test]
    fn the_token_of_a_full_page_reads_back_as_the_key_of_its_last_row(
        keys in proptest::collection::vec(time_id(), 0..20),
        size in 1u32..10,
        filter in ".{0,30}",
    ) {
        let fingerprint = Fingerprint::of("ListThings", &[filter.as_bytes()]);
        let (rows, token) =
            next_page(keys.clone(), size, fingerprint, |(t, id)| encode_time_id(*t, *id));
        prop_assert_eq!(rows.len(), keys.len().min(size as usize));
        prop_assert_eq!(token.is_empty(), keys.len() <= size as usize);
        if !token.is_empty() {
            let cursor = PageToken::decode(&token, fingerprint)
                .expect("a token the service made")
                .expect("not the first page");
            prop_assert_eq!(decode_time_id(&cursor), Ok(rows[rows.len() - 1]));
        }
    }

    #[test]
    fn a_cut_short_time_and_id_token_is_refused(key in time_id(), cut in 1usize..55) {
        let fingerprint = Fingerprint::of("ListThings", &[b"f"]);
        let token = PageToken { fingerprint, cursor: encode_time_id(key.0, key.1) }.encode();
        // 41 bytes are 55 characters: every cut leaves a proper prefix.
        prop_assert_eq!(token.len(), 55);
        let short = &token[..cut];
        let read = PageToken::decode(short, fingerprint)
            .and_then(|cursor| cursor.map(|c| decode_time_id(&c)).transpose());
        prop_assert!(read.is_err(), "{} was accepted as {:?}", short, read);
    }

    #[test]
    fn a_token_for_other_filters_is_refused(
        cursor in proptest::collection::vec(any::<u8>(), 1..MAX_CURSOR_LEN),
        mine in ".{0,20}",
        theirs in ".{0,20}",
    ) {
        prop_assume!(mine != theirs);
        let token = PageToken { fingerprint: Fingerprint::of("ListThings", &[theirs.as_bytes()]), cursor }
            .encode();
        prop_assert_eq!(
            PageToken::decode(&token, Fingerprint::of("ListThings", &[mine.as_bytes()])),
            Err(PageError::FilterChanged)
        );
    }

    #[test]
    fn a_token_made_for_one_list_is_refused_by_another_list_with_the_same_filters(
        cursor in proptest::collection::vec(any::<u8>(), 1..64),
        parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..4),
        lists in proptest::sample::subsequence(
            vec!["ListComplaintNotes", "ListSurveys", "ListOwnershipChanges", "ListStatements", ""],
            2,
        ),
    ) {
        let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let token = PageToken { fingerprint: Fingerprint::of(lists[0], &parts), cursor: cursor.clone() }
            .encode();

        let theirs = PageToken::decode(&token, Fingerprint::of(lists[1], &parts));
        let ours = PageToken::decode(&token, Fingerprint::of(lists[0], &parts));

        prop_assert_eq!(theirs, Err(PageError::FilterChanged));
        prop_assert_eq!(ours, Ok(Some(cursor)));
    }

    #[test]
    fn a_list_name_cannot_be_forged_from_the_filter_parts(
        cursor in proptest::collection::vec(any::<u8>(), 1..64),
        split in 0usize..11,
    ) {
        // "ListSurveys" with no filters against a shorter name whose filter
        // parts spell the rest of it: the lengths keep them apart.
        let name = "ListSurveys";
        let token = PageToken { fingerprint: Fingerprint::of(name, &[]), cursor }.encode();
        let (head, tail) = name.split_at(split);

        let refused = PageToken::decode(&token, Fingerprint::of(head, &[tail.as_bytes()]));

        prop_assert_eq!(refused, Err(PageError::FilterChanged));
    }

    #[test]
    fn a_token_whose_version_or_filter_fingerprint_was_altered_is_refused(
        cursor in proptest::collection::vec(any::<u8>(), 1..64),
        at in 0usize..12,
        to in "[A-Za-z0-9_-]",
    ) {
        // The first 12 characters encode exactly the 9 header bytes.
        let fingerprint = Fingerprint::of("ListThings", &[b"f"]);
        let token = PageToken { fingerprint, cursor }.encode();
        let to = to.chars().next().expect("one character");
        prop_assume!(token.chars().nth(at) != Some(to));
        let altered: String = token
            .chars()
            .enumerate()
            .map(|(i, c)| if i == at { to } else { c })
            .collect();
        prop_assert!(PageToken::decode(&altered, fingerprint).is_err());
    }

    #[test]
    fn any_cursor_bytes_are_a_time_and_id_or_malformed(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        match decode_time_id(&bytes) {
            Ok((time, id)) => prop_assert_eq!(encode_time_id(time, id), bytes),
            Err(error) => prop_assert_eq!(error, PageError::Malformed),
        }
    }
}

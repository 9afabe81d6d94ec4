//! Page tokens as a caller may send them: any text is the first page, a
//! bounded cursor or a refusal; a cursor that decodes as a time and id
//! encodes back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redress_platform::page::{Fingerprint, PageToken, decode_time_id, encode_time_id};

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    match PageToken::decode(token, Fingerprint::of(&[b"fuzz"])) {
        Ok(None) => assert!(token.is_empty()),
        Ok(Some(cursor)) => {
            assert!(!cursor.is_empty() && cursor.len() <= 512);
            if let Ok((time, id)) = decode_time_id(&cursor) {
                assert_eq!(encode_time_id(time, id), cursor);
            }
        }
        Err(_) => {}
    }
});

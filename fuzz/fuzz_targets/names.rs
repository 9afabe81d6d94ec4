//! Resource names of every service: an accepted name is the canonical
//! spelling of what it names, so it is written back exactly as given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redress_complaints::domain::names as complaints;
use redress_crisis::names as crisis;
use redress_notifications::domain::recipient::Recipient;
use redress_platform::names::parse_id;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = parse_id(name, "things/", "things/{uuid}") {
        assert_eq!(name, format!("things/{id}"));
    }
    if let Ok(id) = complaints::parse_complaint(name) {
        assert_eq!(name, complaints::complaint(id));
    }
    if let Ok((c, id)) = complaints::parse_hand_off(name) {
        assert_eq!(name, complaints::hand_off(c, id));
    }
    if let Ok((c, id)) = complaints::parse_goodwill(name) {
        assert_eq!(name, complaints::goodwill(c, id));
    }
    if let Ok(team) = complaints::parse_team(name) {
        assert_eq!(name, format!("teams/{team}"));
    }
    if let Ok(id) = crisis::parse_crisis(name) {
        assert_eq!(name, crisis::crisis(id));
    }
    if let Ok((c, id)) = crisis::parse_child(name, "statements") {
        assert_eq!(name, crisis::child(c, "statements", id));
    }
    if let Ok(recipient) = Recipient::parse(name) {
        assert_eq!(name, recipient.to_string());
    }
    let _ = redress_platform::idempotency::parse_request_id(name);
});

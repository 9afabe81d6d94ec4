//! Property tests of reading a plan template and a new crisis task against
//! hostile input: whatever a caller sends, the answer is tasks and cadences
//! that can be stored (no NUL, within their caps, spans of whole seconds
//! within a year) and read back as given, or violations that name each bad
//! field once (an over-long list once, as a whole) and no field that was
//! fine.

use std::collections::BTreeMap;

use super::*;
use crate::grpc::props_support::bad_text;
use proptest::collection::vec;
use proptest::prelude::*;
use redress_platform::wire;

/// Any text a caller may send: words, control characters and NUL, odd
/// Unicode, and too long.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,20}",
        "[a-z \\x00-\\x1f]{0,6}",
        "\\PC{0,30}",
        (95usize..105).prop_map(|n| "é".repeat(n)),
        (495usize..505).prop_map(|n| "a".repeat(n)),
    ]
}

/// Mostly what a front end sends, sometimes anything.
fn text_or(valid: &'static str) -> BoxedStrategy<String> {
    prop_oneof![3 => valid, 1 => hostile_text()].boxed()
}

/// An enum number: a defined one, unspecified, or any `i32`.
fn wire_enum(values: i32) -> impl Strategy<Value = i32> {
    prop_oneof![4 => 0..=values, 1 => any::<i32>()]
}

/// A span as a caller may send it: none, whole minutes, fractions, around
/// the cap, negative, malformed.
fn span() -> impl Strategy<Value = Option<prost_types::Duration>> {
    let year = MAX_PLAN_SPAN.as_secs();
    prop::option::weighted(
        0.9,
        prop_oneof![
            4 => (1i64..10_000).prop_map(|m| (m * 60, 0)),
            1 => (0i64..3, 0i32..1_000_000_000),
            1 => (year - 2..year + 3, Just(0)),
            1 => (any::<i64>(), any::<i32>()),
            1 => (-100i64..=0, -999_999_999i32..=0),
        ]
        .prop_map(|(seconds, nanos)| prost_types::Duration { seconds, nanos }),
    )
}

fn plan_task() -> impl Strategy<Value = pb::PlanTask> {
    (
        text_or("[A-Z][a-z ]{0,30}"),
        wire_enum(7),
        prop_oneof![2 => Just(String::new()), 1 => text_or(" ?(logistics|legal|press) ?")],
        span(),
    )
        .prop_map(|(title, role, department, due_after)| pb::PlanTask {
            title,
            role,
            department,
            due_after,
        })
}

fn cadence() -> impl Strategy<Value = pb::UpdateCadence> {
    (wire_enum(5), span()).prop_map(|(priority, every)| pb::UpdateCadence { priority, every })
}

/// A list of a usual length, or one about as long as its cap.
fn list<T: std::fmt::Debug + 'static>(
    item: impl Strategy<Value = T> + 'static,
    usual: usize,
    cap: usize,
) -> impl Strategy<Value = Vec<T>> {
    let item = item.boxed();
    prop_oneof![6 => vec(item.clone(), 0..usual), 1 => vec(item, cap - 1..cap + 3)]
}

fn template() -> impl Strategy<Value = pb::PlanTemplate> {
    (
        text_or("[A-Z][a-z ]{0,30}"),
        text_or("[A-Za-z .]{0,60}"),
        list(plan_task(), 4, MAX_TASKS),
        list(cadence(), 5, MAX_CADENCES),
    )
        .prop_map(
            |(title, guidance, tasks, update_cadences)| pb::PlanTemplate {
                title,
                guidance,
                tasks,
                update_cadences,
                ..pb::PlanTemplate::default()
            },
        )
}

/// Whether a span is good: given, whole seconds, positive, within a year.
fn good_span(span: Option<&prost_types::Duration>) -> bool {
    span.is_some_and(|d| d.nanos == 0 && (1..=MAX_PLAN_SPAN.as_secs()).contains(&d.seconds))
}

/// The fields a template should be refused on, each once.
fn bad_fields(t: &pb::PlanTemplate) -> BTreeMap<String, usize> {
    let mut expected = BTreeMap::new();
    let mut expect = |field: String, bad: bool| {
        if bad {
            expected.insert(field, 1);
        }
    };
    expect("plan_template.title".into(), bad_text(&t.title, 200, true));
    expect(
        "plan_template.guidance".into(),
        bad_text(&t.guidance, 20_000, false),
    );
    if t.tasks.len() > MAX_TASKS {
        expect("plan_template.tasks".into(), true);
    } else {
        for (i, task) in t.tasks.iter().enumerate() {
            let field = |name: &str| format!("plan_template.tasks[{i}].{name}");
            expect(field("title"), bad_text(&task.title, MAX_TASK_TITLE, true));
            expect(field("due_after"), !good_span(task.due_after.as_ref()));
            let by_department = !task.department.trim().is_empty();
            let role_bad = match convert::role_from_wire(task.role) {
                Err(_) => true,
                Ok(role) => role.is_some() == by_department,
            };
            expect(field("role"), role_bad);
            expect(field("department"), bad_text(&task.department, 100, false));
        }
    }
    if t.update_cadences.len() > MAX_CADENCES {
        expect("plan_template.update_cadences".into(), true);
    } else {
        let mut seen = Vec::new();
        for (i, c) in t.update_cadences.iter().enumerate() {
            let field = |name: &str| format!("plan_template.update_cadences[{i}].{name}");
            let priority_bad = match convert::priority_from_wire(c.priority) {
                Ok(Some(p)) if !seen.contains(&p) => {
                    seen.push(p);
                    false
                }
                _ => true,
            };
            expect(field("priority"), priority_bad);
            expect(field("every"), !good_span(c.every.as_ref()));
        }
    }
    expected
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_template_is_refused_on_exactly_its_bad_fields_each_once(t in template()) {
        let mut v = FieldViolations::new();

        template_content(&mut v, &t);

        prop_assert_eq!(v.counted(), bad_fields(&t));
    }

    #[test]
    fn an_accepted_template_can_be_stored_and_reads_back_as_given(t in template()) {
        let mut v = FieldViolations::new();

        let (tasks, cadences) = template_content(&mut v, &t);

        if !v.is_empty() {
            return Ok(());
        }
        prop_assert_eq!(tasks.len(), t.tasks.len());
        prop_assert_eq!(cadences.len(), t.update_cadences.len());
        let declared = jiff::Timestamp::from_second(1_800_000_000).expect("a time");
        for (task, given) in tasks.iter().zip(&t.tasks) {
            let stored = task.stored();
            let json = serde_json::to_string(&stored).expect("JSON");
            prop_assert!(!json.contains("\\u0000"), "JSONB cannot hold {}", json);
            let read = PlanTask::from_stored(&stored);
            prop_assert_eq!(read.as_ref(), Some(task));
            // A task is due after the declaration, never at it.
            prop_assert!(task.due_time(declared) > declared);
            let mut expected = given.clone();
            if expected.role != 0 {
                expected.department.clear();
            }
            prop_assert_eq!(convert::plan_task(task), expected);
        }
        for (c, given) in cadences.iter().zip(&t.update_cadences) {
            let every = SignedDuration::from_secs(c.every_seconds);
            prop_assert!(declared.checked_add(every).is_ok());
            prop_assert_eq!(&convert::cadence(c), given);
        }
    }

    #[test]
    fn a_new_task_is_storable_or_refused_on_exactly_its_bad_fields_each_once(
        title in text_or("[A-Z][a-z ]{0,30}"),
        owner in text_or("agent-[0-9]{1,3}"),
        department in prop_oneof![Just(String::new()), text_or("(logistics|legal)")],
        due_time in prop::option::weighted(0.9, (
            prop_oneof![
                1_700_000_000i64..1_900_000_000,
                -400_000_000_000i64..-200_000_000_000,
                any::<i64>(),
            ],
            prop_oneof![0i32..1_000_000_000, any::<i32>()],
        ).prop_map(|(seconds, nanos)| prost_types::Timestamp { seconds, nanos })),
    ) {
        let given = pb::CrisisTask {
            title,
            owner,
            department,
            due_time,
            ..pb::CrisisTask::default()
        };
        let mut v = FieldViolations::new();

        let (title, owner, department, due_time) = new_task(&mut v, &given);

        let mut expected = BTreeMap::new();
        let mut expect = |field: &str, bad: bool| {
            if bad {
                expected.insert(format!("task.{field}"), 1);
            }
        };
        expect("title", bad_text(&given.title, MAX_TASK_TITLE, true));
        expect("owner", bad_text(&given.owner, 200, true));
        expect("department", bad_text(&given.department, 100, false));
        expect(
            "due_time",
            given.due_time.as_ref().is_none_or(|t| !storable_time(t)),
        );
        prop_assert_eq!(v.counted(), expected);
        if v.is_empty() {
            prop_assert_eq!((&title, &owner, &department), (&given.title, &given.owner, &given.department));
            prop_assert!(due_time.is_some());
        }
    }
}

/// Whether PostgreSQL's `timestamptz` can hold a wire time: from
/// 4714-11-24 BC (its first day) on, and well-formed.
fn storable_time(t: &prost_types::Timestamp) -> bool {
    wire::from_timestamp(t).is_ok() && t.seconds >= -210_866_803_200
}

#[test]
fn a_plan_task_with_an_unknown_role_and_no_department_is_named_on_role_once() {
    let t = pb::PlanTemplate {
        title: "Outage".into(),
        tasks: vec![pb::PlanTask {
            title: "Call the press".into(),
            role: 99,
            department: String::new(),
            due_after: Some(prost_types::Duration {
                seconds: 600,
                nanos: 0,
            }),
        }],
        ..pb::PlanTemplate::default()
    };
    let mut v = FieldViolations::new();

    template_content(&mut v, &t);

    let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["plan_template.tasks[0].role"]);
}

#[test]
fn a_sub_second_due_after_is_refused_rather_than_stored_as_zero() {
    let t = pb::PlanTemplate {
        title: "Outage".into(),
        tasks: vec![pb::PlanTask {
            title: "Call the press".into(),
            role: pb::TeamRole::Spokesperson.into(),
            department: String::new(),
            due_after: Some(prost_types::Duration {
                seconds: 0,
                nanos: 500_000_000,
            }),
        }],
        ..pb::PlanTemplate::default()
    };
    let mut v = FieldViolations::new();

    let (tasks, _) = template_content(&mut v, &t);

    let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["plan_template.tasks[0].due_after"]);
    assert!(tasks.is_empty());
}

#[test]
fn a_cadence_past_the_end_of_time_is_refused_rather_than_never_falling_due() {
    let t = pb::PlanTemplate {
        title: "Outage".into(),
        update_cadences: vec![pb::UpdateCadence {
            priority: pb::CrisisPriority::P1.into(),
            every: Some(prost_types::Duration {
                seconds: i64::MAX,
                nanos: 0,
            }),
        }],
        ..pb::PlanTemplate::default()
    };
    let mut v = FieldViolations::new();

    template_content(&mut v, &t);

    let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["plan_template.update_cadences[0].every"]);
}

#[test]
fn a_repeated_cadence_priority_is_named_even_when_its_span_is_bad_too() {
    let every = |seconds| Some(prost_types::Duration { seconds, nanos: 0 });
    let t = pb::PlanTemplate {
        title: "Outage".into(),
        update_cadences: vec![
            pb::UpdateCadence {
                priority: pb::CrisisPriority::P1.into(),
                every: every(3600),
            },
            pb::UpdateCadence {
                priority: pb::CrisisPriority::P1.into(),
                every: every(-1),
            },
        ],
        ..pb::PlanTemplate::default()
    };
    let mut v = FieldViolations::new();

    template_content(&mut v, &t);

    let fields: Vec<&str> = v.violations().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "plan_template.update_cadences[1].priority",
            "plan_template.update_cadences[1].every"
        ]
    );
}

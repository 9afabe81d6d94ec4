//! Looking across customers: `select` streams the names of every customer a
//! selector takes (for a crisis scope), printing each batch as it arrives so
//! memory does not grow with the number of matches; `churn-report` compares
//! churn per value grade and size over a period with the period before.

use std::io::Write;

use clap::{ArgGroup, Args};
use jiff::{SignedDuration, Timestamp};
use redress_platform::wire::timestamp;
use redress_proto::customers::v1 as pb;

use super::{Session, json, tables};
use crate::client::args::parse_time;
use crate::client::render::{
    Format, print_json, print_line, print_table, quietly, time_cell, time_json,
};
use crate::client::wire_enum::enum_parser;

/// `redress customers select`. Repeated flags of one kind are alternatives
/// (OR); different kinds must all hold (AND).
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Customers of this value grade; repeat for more.
    #[arg(long = "grade", value_name = "GRADE", value_parser = enum_parser::<pb::ValueGrade>())]
    grades: Vec<pb::ValueGrade>,
    /// Customers of this size; repeat for more.
    #[arg(long = "size", value_name = "SIZE", value_parser = enum_parser::<pb::CustomerSize>())]
    sizes: Vec<pb::CustomerSize>,
    /// Customers in this lifecycle stage; repeat for more.
    #[arg(long = "stage", value_name = "STAGE", value_parser = enum_parser::<pb::LifecycleStage>())]
    stages: Vec<pb::LifecycleStage>,
    /// Customers with this tag; repeat for more.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Customers with this locale or one under it ("zh" takes "zh-Hant-TW");
    /// repeat for more.
    #[arg(long = "locale", value_name = "LOCALE")]
    locales: Vec<String>,
    /// Customers with a postal address in this ISO 3166-1 country, such as
    /// NL; repeat for more.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Names per streamed batch (default 500, at most 1000).
    #[arg(long)]
    batch_size: Option<i32>,
}

/// `redress customers churn-report`: a period given by `--from` (and
/// `--to`, default now), or by `--days`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("period").required(true).args(["from", "days"])))]
pub struct ChurnArgs {
    /// The start of the period, RFC 3339.
    #[arg(long, value_parser = parse_time)]
    from: Option<Timestamp>,
    /// The end of the period, RFC 3339 (default: now).
    #[arg(long, value_parser = parse_time, requires = "from")]
    to: Option<Timestamp>,
    /// The last this many days, up to now.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    days: Option<u32>,
}

/// Streams the names of the customers a selector takes, one a line (or, with
/// `--json`, as `{"names": [...]}`, written as the batches arrive).
pub(super) async fn select(session: &mut Session<'_>, args: SelectArgs) -> anyhow::Result<()> {
    let SelectArgs {
        grades,
        sizes,
        stages,
        tags,
        locales,
        regions,
        batch_size,
    } = args;
    let selector = pb::CustomerSelector {
        value_grades: grades.into_iter().map(|g| g as i32).collect(),
        sizes: sizes.into_iter().map(|s| s as i32).collect(),
        lifecycle_stages: stages.into_iter().map(|s| s as i32).collect(),
        tags,
        locales,
        region_codes: regions,
    };
    let request = pb::SelectCustomersRequest {
        selector: Some(selector),
        batch_size: batch_size.unwrap_or(0),
    };
    let mut stream = session
        .client
        .select_customers(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    let json = session.format == Format::Json;
    let mut names = NameWriter {
        out: std::io::stdout().lock(),
        json,
        count: 0,
    };
    quietly(names.open())?;
    while let Some(batch) = stream.message().await.map_err(|s| session.fail(s))? {
        match names.write(&batch.names) {
            // The reader went away (`| head`): stop asking for more.
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            other => other?,
        }
    }
    quietly(names.close())
}

/// Writes streamed names as they arrive: one a line, or as the array of a
/// `{"names": [...]}` JSON document.
struct NameWriter<W> {
    /// Where to.
    out: W,
    /// Whether to write JSON.
    json: bool,
    /// Names written so far.
    count: u64,
}

impl<W: Write> NameWriter<W> {
    /// Starts the output.
    fn open(&mut self) -> std::io::Result<()> {
        if self.json {
            write!(self.out, "{{\"names\": [")?;
        }
        Ok(())
    }

    /// Writes a batch and flushes it.
    fn write(&mut self, names: &[String]) -> std::io::Result<()> {
        for name in names {
            if self.json {
                let separator = if self.count == 0 { "" } else { "," };
                write!(self.out, "{separator}\n  {}", serde_json::to_string(name)?)?;
            } else {
                writeln!(self.out, "{name}")?;
            }
            self.count += 1;
        }
        self.out.flush()
    }

    /// Ends the output.
    fn close(&mut self) -> std::io::Result<()> {
        if self.json {
            let newline = if self.count == 0 { "" } else { "\n" };
            writeln!(self.out, "{newline}]}}")?;
        }
        self.out.flush()
    }
}

/// Prints the churn report for the period asked.
pub(super) async fn churn_report(session: &mut Session<'_>, args: ChurnArgs) -> anyhow::Result<()> {
    let ChurnArgs { from, to, days } = args;
    let now = Timestamp::now().round(jiff::Unit::Second)?;
    let (start, end) = match (days, from) {
        (Some(days), _) => {
            let span = SignedDuration::from_hours(i64::from(days) * 24);
            let start = now
                .checked_sub(span)
                .map_err(|_| anyhow::anyhow!("--days {days} reaches too far back"))?;
            (start, now)
        }
        (None, Some(from)) => (from, to.unwrap_or(now)),
        (None, None) => anyhow::bail!("give the period: --days N, or --from (and --to)"),
    };
    let request = pb::GetChurnReportRequest {
        start_time: Some(timestamp(start)),
        end_time: Some(timestamp(end)),
    };
    let response = session
        .client
        .get_churn_report(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => {
            let mut value = json::churn_report(&response);
            if let Some(object) = value.as_object_mut() {
                object.insert("start_time".into(), time_json(Some(&timestamp(start))));
                object.insert("end_time".into(), time_json(Some(&timestamp(end))));
            }
            print_json(&value)
        }
        Format::Table => {
            print_line(format!(
                "Churn from {start} to {end}, against the period from {}:",
                time_cell(response.previous_start_time.as_ref())
            ))?;
            print_table(&tables::churn(&response.by_grade))?;
            print_table(&tables::churn(&response.by_size))?;
            if response.warning {
                print_line(format!(
                    "WARNING: churn of a watched group rose by more than {} points: a possible crisis.",
                    response.rise_threshold_points
                ))?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn written(json: bool, batches: &[&[&str]]) -> String {
        let mut names = NameWriter {
            out: Vec::new(),
            json,
            count: 0,
        };
        names.open().expect("open");
        for batch in batches {
            let batch: Vec<String> = batch.iter().map(|n| n.to_string()).collect();
            names.write(&batch).expect("write");
        }
        names.close().expect("close");
        String::from_utf8(names.out).expect("utf-8")
    }

    #[test]
    fn streamed_names_make_lines_or_one_json_document() {
        let batches: &[&[&str]] = &[&["customers/1", "customers/2"], &["customers/3"]];
        assert_eq!(
            written(false, batches),
            "customers/1\ncustomers/2\ncustomers/3\n"
        );
        let document: serde_json::Value =
            serde_json::from_str(&written(true, batches)).expect("valid JSON");
        assert_eq!(document["names"][2], "customers/3");
        let empty: serde_json::Value =
            serde_json::from_str(&written(true, &[])).expect("valid JSON");
        assert_eq!(empty["names"], serde_json::json!([]));
    }

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        churn: ChurnArgs,
    }

    #[test]
    fn a_churn_report_needs_a_period_given_one_way() {
        assert!(Probe::try_parse_from(["churn"]).is_err());
        assert!(Probe::try_parse_from(["churn", "--days", "30"]).is_ok());
        assert!(Probe::try_parse_from(["churn", "--from", "2026-01-01T00:00:00Z"]).is_ok());
        assert!(
            Probe::try_parse_from(["churn", "--days", "3", "--from", "2026-01-01T00:00:00Z"])
                .is_err()
        );
        assert!(Probe::try_parse_from(["churn", "--to", "2026-01-01T00:00:00Z"]).is_err());
    }
}
